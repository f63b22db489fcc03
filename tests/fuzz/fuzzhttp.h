/* fuzzhttp.h - turns fuzz input into the requests an httpd handler sees,
 * for the IMDS, S3 and DynamoDB targets: the handlers never see bytes off
 * the wire, only struct httpd_request, so that is what is fuzzed.
 *
 * The input is one or more requests separated by NUL bytes, each as text:
 *
 *   METHOD PATH[?a=b&c]\n
 *   Name: value\n        (any number)
 *   \n
 *   body
 *
 * so that seeds are readable files. Several requests in one input reach
 * the state a store builds up (a bucket, then an object in it).
 */
#ifndef VPCEMU_FUZZHTTP_H
#define VPCEMU_FUZZHTTP_H

#include <stddef.h>
#include <stdint.h>

#include "vpcemu/httpd.h"

#define FUZZHTTP_FIELDS_MAX 32	/* headers, arguments: more are dropped */

/* Calls fn(data, rq, rp) for each request of the size bytes at input, as
 * a server would, and frees each reply. Aborts on ENOMEM (a harness
 * failure, not a finding). */
void fuzzhttp_each(const uint8_t *input, size_t size, httpd_handler_fn fn,
		   void *data);

#endif
