/* apimodel.h - the parts of botocore's service models the Query API
 * needs, generated at build time by scripts/gen-apimodel (apiquery.h
 * describes the shapes). */
#ifndef VPCEMU_APIMODEL_H
#define VPCEMU_APIMODEL_H

#include <jansson.h>

/* The model of service ("ec2", "iam", "elbv2"): {"protocol", "version",
 * "xmlns", "group", "ops": {Action: {"cmd", "in", "out", "wrap"}},
 * "shapes"}; NULL when unknown or out of memory. Parsed once, kept for
 * the process's life. */
const json_t *apimodel_service(const char *service);

/* The service whose Query API version is version ("2016-11-15": "ec2"),
 * or NULL. */
const char *apimodel_by_version(const char *version);

#endif
