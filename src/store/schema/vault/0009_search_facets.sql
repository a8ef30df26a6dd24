-- What the SQL search path reads of each match for its total and facets (language,
-- collection, time, liveness), in an index small enough to stay in cache: a documents row
-- carries its body and takes about eight page reads to find by id. Measured on 100k
-- documents (bench/search/README.md): total and facets 4x faster. The in-memory index does
-- not need it; the fallback (index being built, search.memory_max_mib reached) does.
CREATE INDEX documents_facets ON documents(id, deleted, language, collection_id, updated);
