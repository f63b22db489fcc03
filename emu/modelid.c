/* modelid.c - the stable IDs of the model: an AWS-shaped ID hashed from
 * (lab, kind, name), so a resource keeps its ID across runs and edits of
 * other blocks, and two labs never share one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/restype.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s, bool with_nul)
{
	size_t i, n = strlen(s) + with_nul;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* FNV-1a's low bits vary little with the last bytes; a final mix
 * (splitmix64's) spreads every input bit over every hex digit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void model_id_hash(uint64_t h[2], const char *lab, const char *kind,
		   const char *name)
{
	int i;

	lab = lab ? lab : "";
	kind = kind ? kind : "";
	name = name ? name : "";
	for (i = 0; i < 2; i++) {
		/* The second hash starts from another basis, so it is
		 * independent enough to give the 17th digit. */
		uint64_t x = i ? FNV_OFFSET ^ 0x9e3779b97f4a7c15ULL : FNV_OFFSET;

		x = fnv1a(x, lab, true);
		x = fnv1a(x, kind, true);
		x = fnv1a(x, name, false);
		h[i] = mix64(x);
	}
}

void model_make_id(char *out, const char *prefix, const char *lab,
		   const char *kind, const char *name)
{
	uint64_t h[2];

	model_id_hash(h, lab, kind, name);
	snprintf(out, MODEL_ID_MAX, "%s%016llx%x", prefix ? prefix : "",
		 (unsigned long long)h[0], (unsigned)(h[1] & 0xf));
}

/* IAM unique IDs look like "AROA" + 17 of [A-Z0-9]. */
void model_make_role_id(char *out, const char *lab, const char *name)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint64_t h[2];
	int i;

	model_id_hash(h, lab, res_types[RES_IAM_ROLE]->keyword, name);
	memcpy(out, "AROA", 4);
	for (i = 0; i < 17; i++) {
		uint64_t *v = i < 12 ? &h[0] : &h[1];

		out[4 + i] = digits[*v % 36];
		*v /= 36;
	}
	out[21] = '\0';
}
