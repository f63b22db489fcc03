/* state.h - what a lab put in the kernel, on disk, so that down, status,
 * exec and a later process find it again.
 *
 * One JSON file per lab, /run/vpcemu/labs/LAB.json (VPCEMU_STATE_DIR
 * overrides the directory), replaced atomically (temp file + rename). It is
 * written before the kernel is touched (status "building") so that a lab
 * that fails half-way can still be taken down.
 *
 * Next to it, LAB.conf keeps the text of the lab file as applied (the lab
 * name given to up, not the file's, is the lab's identity): apply rebuilds
 * the old plan from it to compute what changed. While an apply runs,
 * LAB.conf.next holds the text it brings the lab to: after a crash (status
 * "applying") it says what the kernel may hold beyond the old plan. Its
 * presence alone marks an apply in flight: an apply that adds no namespace
 * writes only it before touching the kernel, and state_load reports such a
 * lab as "applying".
 *
 * LAB.owner says whose identity the lab's user data takes (nsexec.h): the
 * client of the last up, apply or AWS-style command that changed the lab,
 * so that a restarted daemon still knows.
 */
#ifndef VPCEMU_STATE_H
#define VPCEMU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct nsexec_cred;

struct state_instance {
	char *name, *id, *netns, *vpc, *subnet;
	char *region;	/* the VPC's, for the private DNS name; NULL for
			   internet hosts and labs up before it was kept */
	uint32_t ip;
};

struct lab_state {
	char *lab;
	char *file;		/* absolute path of the lab file */
	char *status;		/* "building", "up", "applying" (an apply not
				 * finished: namespaces of both plans) */
	char *digest;		/* digest of the plan applied (plan.h) */
	char **netns;		/* every namespace of the lab */
	size_t nnetns;
	struct state_instance *instances;	/* instances and endpoint ENIs */
	size_t ninstances;
};

/* Directory of the state files (no trailing slash). */
const char *state_dir(void);
int state_save(const struct lab_state *s);
/* Returns 0, -ENOENT when the lab has no state, or -errno / -EINVAL.
 * Status "up" with a next text kept reads as "applying". */
int state_load(const char *lab, struct lab_state **ret);

/* Which state file is on disk (each save is a new file): equal stamps,
 * the same content, so that vpcemud can trust what it saved last instead
 * of reading it again. */
struct state_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* The stamp of lab's state file and whether a next text is kept. Returns
 * 0, -ENOENT when the lab has no state, or -errno. */
int state_stamp(const char *lab, struct state_stamp *ret, bool *ret_next);
bool state_stamp_equal(const struct state_stamp *a,
		       const struct state_stamp *b);
/* Removes the state file and the text. */
/* Path of the lab's AWS-side record kept by `vpcemu ec2` (peering
 * lifecycle times and statuses the lab format cannot hold); malloc'd. */
char *state_ec2_path(const char *lab);
/* Path of an instance's user-data file with suffix ("log", "status"),
 * or with instance NULL the lab's directory of them; malloc'd. */
char *state_userdata_path(const char *lab, const char *instance,
			  const char *suffix);
/* Removes every state file of the lab (state, kept texts, ec2 record, user
 * data logs). */
int state_remove(const char *lab);
/* Writes text to path atomically (path.tmp, then rename), with mode.
 * Returns 0 or -errno. */
int state_write_file(const char *path, const char *text, mode_t mode);

/* Writes the lab file text atomically (temp file, rename), 0600.
 * Returns 0 or -errno. */
int state_save_text(const char *lab, const char *text, size_t len);
/* Reads it: *ret_text (NUL-terminated, caller frees) and *ret_len.
 * Returns 0, -ENOENT when there is none, or -errno. */
int state_load_text(const char *lab, char **ret_text, size_t *ret_len);
/* The same for the text an apply is bringing the lab to (LAB.conf.next). */
int state_save_next_text(const char *lab, const char *text, size_t len);
int state_load_next_text(const char *lab, char **ret_text, size_t *ret_len);
/* Makes the next text the applied one, atomically (rename). Returns 0,
 * -ENOENT when there is none, or -errno. */
int state_commit_next_text(const char *lab);
/* Records c as the lab's owner / reads it back into *ret. Returns 0,
 * -ENOENT (load: no owner kept, a lab up before owners were), -EINVAL (a
 * damaged record) or -errno. */
int state_save_owner(const char *lab, const struct nsexec_cred *c);
int state_load_owner(const char *lab, struct nsexec_cred *ret);
/* Names of every lab with a state file, sorted; free with state_names_free. */
int state_list(char ***ret_names, size_t *ret_n);
void state_names_free(char **names, size_t n);
void state_free(struct lab_state *s);
/* Finds instance (name or ID) among running labs (only in lab_name when
 * given). Returns 0 with *ret_state (caller state_free's) and *ret_index,
 * -ENOENT when no lab has it, -EEXIST when several labs do (pass a lab). */
int state_find_instance(const char *lab_name, const char *instance,
			struct lab_state **ret_state, size_t *ret_index);

/* Says on f, as "vpcemu CMD: ...", why state_find_instance(lab, instance)
 * returned e. */
void state_find_instance_error(FILE *f, const char *cmd, int e,
			       const char *lab, const char *instance);

/* The hostname a machine's processes see, in its own UTS namespace: an
 * instance's private DNS name (R-12.4, as IMDS local-hostname), an
 * internet host's name in the lab (no AWS name to copy: it is not EC2's).
 * Returns 0, or -ENOENT for an instance of a lab up before regions were
 * kept (it runs on the host's name), -ENOSPC when buf is too small. */
int state_instance_hostname(const struct state_instance *in, char *buf,
			    size_t len);

#endif
