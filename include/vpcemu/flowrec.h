/* flowrec.h - VPC Flow Logs records: fields, formats, one interval's
 * aggregation and the lines written (pure: no I/O).
 *
 * svc/flowlog.c feeds what the kernel decided (NFLOG drops, conntrack
 * counters) into a struct flowrec_agg per flow log and interval, one entry
 * per ENI, direction, verdict and 5-tuple, then writes one line
 * per entry, and a NODATA line per covered ENI without any, in
 * the flow log's format: AWS's version 2 by default, or a custom
 * LogFormat of AWS's field names.
 */
#ifndef VPCEMU_FLOWREC_H
#define VPCEMU_FLOWREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lab;
struct strbuf;
struct vpc;

/* AWS's field names, in the order of its list. */
enum flowrec_field {
	FR_VERSION,
	FR_ACCOUNT_ID,
	FR_INTERFACE_ID,
	FR_SRCADDR,
	FR_DSTADDR,
	FR_SRCPORT,
	FR_DSTPORT,
	FR_PROTOCOL,
	FR_PACKETS,
	FR_BYTES,
	FR_START,
	FR_END,
	FR_ACTION,
	FR_LOG_STATUS,
	FR_VPC_ID,
	FR_SUBNET_ID,
	FR_INSTANCE_ID,
	FR_TCP_FLAGS,
	FR_TYPE,
	FR_PKT_SRCADDR,
	FR_PKT_DSTADDR,
	FR_REGION,
	FR_AZ_ID,
	FR_FLOW_DIRECTION,
	FR_TRAFFIC_PATH,
	FR__COUNT,
};

#define FLOWREC_FIELDS_MAX 64

struct flowrec_format {
	uint8_t f[FLOWREC_FIELDS_MAX];	/* enum flowrec_field */
	size_t n;
	unsigned version;	/* the highest of its fields' versions */
};

/* Parses a LogFormat ("${version} ${srcaddr} ..."): fields separated by
 * single spaces, as AWS writes it; NULL is the default format. Returns 0,
 * or -EINVAL with the offending token's offset and length in *bad_off and
 * *bad_len (an unknown field, a repeated one, text that is no field). */
int flowrec_format_parse(const char *s, struct flowrec_format *fmt,
			 size_t *bad_off, size_t *bad_len);
/* fmt as a LogFormat string (describe-flow-logs). */
void flowrec_format_text(struct strbuf *sb, const struct flowrec_format *fmt);

/* traffic-path values (egress only, 0 is "-"). */
enum {
	FR_PATH_NONE,
	FR_PATH_VPC = 1,	/* another resource of the same VPC */
	FR_PATH_IGW = 2,	/* internet gateway or gateway endpoint */
	FR_PATH_PEERING = 4,	/* intra-region peering */
	FR_PATH_PEERING_X = 5,	/* inter-region peering */
};

/* What one record is about. Built from { 0 }: compared as bytes. */
struct flowrec_key {
	uint32_t eni;		/* index in the caller's ENI table */
	uint32_t src, dst;	/* srcaddr, dstaddr (private IPs) */
	uint32_t pkt_src, pkt_dst;	/* as on the wire (NAT) */
	uint16_t sport, dport;	/* 0 0 for ICMP */
	uint8_t proto;
	uint8_t egress;		/* flow-direction */
	uint8_t reject;		/* action */
	uint8_t path;		/* traffic-path */
};

struct flowrec {
	struct flowrec_key k;
	uint64_t packets, bytes;
	uint8_t tcp_flags;	/* OR over the interval, ACK alone is 0 */
};

/* One interval's records: at most max entries (then flowrec_add refuses:
 * the caller writes SKIPDATA). Start from { .max = N }. */
struct flowrec_agg {
	struct flowrec *v;
	size_t n, cap, max;
	uint32_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslots;
};

/* Adds packets and bytes to k's entry (made if new). Returns 0, -ENOSPC
 * when the aggregation holds max entries, -ENOMEM. */
int flowrec_add(struct flowrec_agg *a, const struct flowrec_key *k,
		uint64_t packets, uint64_t bytes, uint8_t tcp_flags);
/* k's entry, or NULL. */
struct flowrec *flowrec_find(const struct flowrec_agg *a,
			     const struct flowrec_key *k);
/* Sorts the entries by ENI, then time-independent key order, so that a
 * lab gives the same file for the same traffic; the table is cleared
 * (flowrec_find no longer works until flowrec_agg_clear). */
void flowrec_agg_sort(struct flowrec_agg *a);
void flowrec_agg_clear(struct flowrec_agg *a);
void flowrec_agg_free(struct flowrec_agg *a);

/* TCP flags as flow logs count them: FIN SYN RST PSH URG, ACK only with
 * another one (an interval of bare ACKs is 0). */
uint8_t flowrec_tcp_flags(uint8_t th_flags);

enum flowrec_status { FR_OK, FR_NODATA, FR_SKIPDATA };

/* The ENI a line is written for. */
struct flowrec_eni {
	const char *interface_id, *vpc_id, *subnet_id, *instance_id;
	const char *az_id;
};

/* The flow log's and the interval's part of a line. */
struct flowrec_ctx {
	const char *account, *region;
	uint64_t start, end;	/* Unix seconds */
};

/* Appends one line (with its '\n') for r (NULL for a NODATA or SKIPDATA
 * line of e) in fmt. */
void flowrec_line(struct strbuf *sb, const struct flowrec_format *fmt,
		  const struct flowrec_ctx *c, const struct flowrec_eni *e,
		  const struct flowrec *r, enum flowrec_status st);

/* Traffic flow logs never record seen from vpc's router: to or
 * from the router's own addresses (Amazon DNS at base+2 and
 * 169.254.169.253, base+1 of its subnets), link-local services (IMDS,
 * Time Sync, DHCP's 169.254/16), and between an endpoint ENI and a load
 * balancer node (eni_a, eni_b: the ENIs of the two ends, either may be
 * NULL). */
struct eni;
bool flowrec_excluded(const struct vpc *vpc, const struct lab *lab,
		      uint32_t src, uint32_t dst, const struct eni *eni_a,
		      const struct eni *eni_b);

#endif
