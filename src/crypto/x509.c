#include "crypto/x509.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"

static int
x509_add_sans(gnutls_x509_crt_t crt)
{
	static const unsigned char ip4[4] = { 127, 0, 0, 1 };
	static const unsigned char ip6[16] = { [15] = 1 };

	if (gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
	    GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip4, sizeof(ip4),
	    GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip6, sizeof(ip6),
	    GNUTLS_FSAN_APPEND) < 0)
		return ERR_TLS;
	return 0;
}

int
x509_create_selfsigned(const char *key_path, const char *cert_path)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	unsigned char serial[16], keyid[64];
	size_t keyid_len = sizeof(keyid);
	time_t now = time(NULL);
	int rc = ERR_TLS;

	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_privkey_generate2(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0) < 0)
		goto out;
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f;      /* serials are positive integers */
	serial[0] |= 0x01;
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 300) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)X509_SELFSIGNED_DAYS * 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	    "coffre self-signed", 18) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    x509_add_sans(crt) != 0)
		goto out;
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, keyid, &keyid_len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, keyid, keyid_len) < 0)
		goto out;
	if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
	    &kpem) < 0 || gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0)
		goto out;
	if ((rc = fs_write_new(key_path, kpem.data, kpem.size, 0600)) != 0)
		goto out;
	rc = fs_write_new(cert_path, cpem.data, cpem.size, 0644);
out:
	if (kpem.data != NULL) {
		sodium_memzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}
