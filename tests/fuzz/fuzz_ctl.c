/* fuzz_ctl.c - libFuzzer target: any bytes as what a client writes to the
 * control socket, through the daemon's framing (ctl_frame_decode, one
 * message after another as ctlsrv.c consumes them) and each message
 * through the request schema (ctl_request_parse). Must never crash, leak
 * or trip a sanitizer, and must always make progress or ask for more.
 * Built by `make fuzz FUZZ=ctl`. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vpcemu/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	const char *op;
	json_t *msg, *args;
	size_t used;
	int r;

	while (size) {
		r = ctl_frame_decode(data, size, &used, &msg, err, sizeof(err));
		if (r <= 0)
			break;	/* more bytes needed, or the daemon hangs up */
		if (!used || used > size)
			abort();
		ctl_request_parse(msg, &op, &args, err, sizeof(err));
		json_decref(msg);
		data += used;
		size -= used;
	}
	return 0;
}
