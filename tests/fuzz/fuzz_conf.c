/* fuzz_conf.c - libFuzzer target: any bytes through the real parser, model
 * builder and checker, then the planner when the lab is valid. Must never
 * crash, leak or trip a sanitizer. Built by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	struct conf_file *f;
	struct lab *lab;

	f = conf_parse_buffer("fuzz.conf", (const char *)data, size, &d);
	if (f) {
		lab = model_build(f, "fuzz", &d);
		if (lab && !d.nerrors) {
			check_lab(lab, &d);
			if (!d.nerrors)
				plan_free(plan_build(lab));
		}
		lab_free(lab);
		conf_free(f);
	}
	diags_free(&d);
	return 0;
}
