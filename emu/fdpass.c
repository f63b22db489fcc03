/* fdpass.c - descriptors with the bytes of a Unix stream socket
 * (fdpass.h). cmsg(3) and unix(7): one SCM_RIGHTS message per sendmsg;
 * MSG_CMSG_CLOEXEC so that no received descriptor leaks into a child the
 * daemon starts for another client.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpcemu/fdpass.h"

union fdpass_cmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
};

ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds,
		    size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fdpass_cmsg c = { 0 };
	struct cmsghdr *h;
	ssize_t k;

	if (nfds > FDPASS_MAX || !len)
		return -EINVAL;
	if (nfds) {
		m.msg_control = c.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * nfds);
	}
	do
		k = sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}

ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t *nfds)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fdpass_cmsg c;
	struct cmsghdr *h;
	ssize_t k;

	m.msg_control = c.buf;
	m.msg_controllen = sizeof(c.buf);
	do
		k = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		size_t i, n;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
			if (*nfds < FDPASS_MAX && !(m.msg_flags & MSG_CTRUNC))
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	return k;
}

void fdpass_close(int *fds, size_t *nfds)
{
	while (*nfds > 0)
		close(fds[--*nfds]);
}
