#include "../test.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypto/x509.h"

static void
test_selfsigned_certificate(void **state)
{
	char *dir = test_tmpdir(), key[512], cert[512], *pem;
	size_t len;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	unsigned bits = 0, critical = 0;
	struct stat st;
	time_t now = time(NULL);

	(void)state;
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	assert_int_equal(x509_create_selfsigned(key, cert), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_all(cert, 65536, 0, &pem, &len), 0);
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
	assert_int_equal(bits, 256);
	assert_true(gnutls_x509_crt_check_hostname(crt, "localhost"));
	assert_true(gnutls_x509_crt_check_ip(crt, (const unsigned char *)"\x7f\0\0\x01", 4, 0));
	assert_false(gnutls_x509_crt_check_hostname(crt, "example.com"));
	assert_int_equal(gnutls_x509_crt_get_ca_status(crt, &critical), 0);     /* not a CA */
	assert_true(gnutls_x509_crt_get_expiration_time(crt) > now + 390 * 86400);
	assert_true(gnutls_x509_crt_get_activation_time(crt) <= now);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(crt),
	    GNUTLS_SIGN_ECDSA_SHA256);
	gnutls_x509_crt_deinit(crt);
	free(pem);
	assert_int_equal(x509_create_selfsigned(key, cert), ERR_EXISTS);
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selfsigned_certificate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
