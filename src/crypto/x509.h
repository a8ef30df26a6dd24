/* x509.h: the self-signed certificate that `coffre init` creates. */
#ifndef COFFRE_X509_H
#define COFFRE_X509_H

#define X509_SELFSIGNED_DAYS 397   /* the longest lifetime browsers accept */

/*
 * Generates an ECDSA P-256 key and a self-signed certificate for localhost, 127.0.0.1
 * and ::1, valid for X509_SELFSIGNED_DAYS. Writes the key (PKCS#8 PEM, mode 0600) and the
 * certificate (PEM, mode 0644); neither file may exist yet.
 */
int x509_create_selfsigned(const char *key_path, const char *cert_path);

#endif
