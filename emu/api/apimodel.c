/* apimodel.c - botocore's shapes, parsed once (apimodel.h). */
#include <stddef.h>
#include <string.h>

#include "vpcemu/apimodel.h"

/* build/gen/apimodel.c, written by scripts/gen-apimodel. */
extern const char api_model_json[];

static json_t *model;

static const json_t *all(void)
{
	if (!model)
		model = json_loads(api_model_json, 0, NULL);
	return model;
}

const json_t *apimodel_service(const char *service)
{
	return service ? json_object_get(all(), service) : NULL;
}

const char *apimodel_by_version(const char *version)
{
	const char *name;
	json_t *svc;

	if (!version || !all())
		return NULL;
	json_object_foreach(model, name, svc)
		if (!strcmp(json_string_value(json_object_get(svc, "version")),
			    version))
			return name;
	return NULL;
}
