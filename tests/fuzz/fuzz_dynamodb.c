/* fuzz_dynamodb.c - libFuzzer target: requests (fuzzhttp.h) to the
 * DynamoDB stand-in, ddb_handle, over one store per input, so that a
 * request can meet the tables and items the ones before it made. Must
 * never crash, leak or trip a sanitizer. Built by `make fuzz
 * FUZZ=dynamodb`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzzhttp.h"
#include "vpcemu/dynamodb.h"

static void handle(void *data, const struct httpd_request *rq,
		   struct httpd_reply *rp)
{
	ddb_handle(data, rq, rp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_store *s = ddb_store_new();

	if (!s)
		abort();
	fuzzhttp_each(data, size, handle, s);
	ddb_store_free(s);
	return 0;
}
