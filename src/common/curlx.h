/* curlx.h: libcurl set-up shared by the modules that talk to the network through it. */
#ifndef COFFRE_CURLX_H
#define COFFRE_CURLX_H

#include <stdatomic.h>

#include <curl/curl.h>

/* Calls curl_global_init once per process, whichever thread comes first, and returns its
 * result on every call (CURLE_OK: libcurl, its URL parser included, is ready). */
CURLcode curlx_global_init(void);
/* Lets c speak only the protocols in mask (CURLPROTO_HTTP, _HTTPS, _SMTP, _SMTPS; other
 * bits or none give CURLE_BAD_FUNCTION_ARGUMENT), whatever the URL says. */
CURLcode curlx_set_protocols(CURL *c, long mask);
/* Makes c abort a transfer (CURLE_ABORTED_BY_CALLBACK) once *stop is true, read without a
 * lock while it runs; *stop must outlive the transfer. Replaces c's progress callback. */
CURLcode curlx_set_stop(CURL *c, atomic_bool *stop);

#endif
