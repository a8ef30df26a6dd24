-- The permission to use the PII API goes to the built-in roles that may use AI features
-- (all three, unless a tenant took ai.use away): a reader asking questions needs it.
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'pii.use'),
    updated = unixepoch() * 1000000
  WHERE builtin = 1
    AND EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'ai.use')
    AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'pii.use');
