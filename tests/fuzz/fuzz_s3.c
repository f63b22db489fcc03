/* fuzz_s3.c - libFuzzer target: requests (fuzzhttp.h) to the S3 stand-in,
 * s3_handle, over one store per input, so that a request can meet the
 * buckets and objects the ones before it made. Must never crash, leak or
 * trip a sanitizer. Built by `make fuzz FUZZ=s3`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzzhttp.h"
#include "vpcemu/s3.h"

static void handle(void *data, const struct httpd_request *rq,
		   struct httpd_reply *rp)
{
	s3_handle(data, rq, rp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_store *s = s3_store_new();

	if (!s)
		abort();
	fuzzhttp_each(data, size, handle, s);
	s3_store_free(s);
	return 0;
}
