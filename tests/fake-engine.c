/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake-engine LISTEN SCRIPTDIR LOG
 *
 * A tiny HTTP server with canned replies, for the engine client's error
 * paths that a real engine cannot be made to take on demand. LISTEN is a
 * unix socket path, or `tcp:FILE` to listen on 127.0.0.1 at a free port
 * written to FILE. For the N-th connection (from 1) it reads one request,
 * appends it to LOG (followed by a line "=====") and answers with the
 * file SCRIPTDIR/N: its bytes are written as they are, except that a line
 * "--split--" divides them into separate writes with a pause between
 * (so the client receives them in separate reads), and a file holding
 * only "hang" means: never answer. It then closes the connection. After
 * the last numbered file it exits.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t alloc = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 > alloc) {
			alloc = (n + 65536) * 2;
			buf = realloc(buf, alloc);
			if (!buf)
				exit(3);
		}
		r = fread(buf + n, 1, alloc - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read one request: headers, then a Content-Length or chunked body. Log
 * the headers and the first 64 KiB of the body. */
static void
read_request(int fd, FILE *log)
{
	char hdr[16384], buf[8192], tail[5] = { 0 };
	size_t hn = 0, body = 0, need = 0, logged = 0;
	char *end = NULL, *h;
	int chunked = 0;
	ssize_t r;

	while (!end && hn < sizeof(hdr) - 1) {
		r = read(fd, hdr + hn, sizeof(hdr) - 1 - hn);
		if (r <= 0)
			goto out;
		hn += (size_t)r;
		hdr[hn] = '\0';
		end = strstr(hdr, "\r\n\r\n");
	}
	if (!end)
		goto out;
	h = strcasestr(hdr, "\ncontent-length:");
	if (h && h < end)
		need = strtoul(h + 16, NULL, 10);
	h = strcasestr(hdr, "\ntransfer-encoding: chunked");
	chunked = h && h < end;
	fwrite(hdr, 1, hn, log);
	logged = body = hn - (size_t)(end + 4 - hdr);
	if (body >= 5)
		memcpy(tail, end + 4 + body - 5, 5);
	for (;;) {
		if (!chunked && body >= need)
			break;
		if (chunked && !memcmp(tail, "0\r\n\r\n", 5))
			break;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		if (logged < 65536) {
			fwrite(buf, 1, (size_t)r, log);
			logged += (size_t)r;
		}
		body += (size_t)r;
		if (r >= 5) {
			memcpy(tail, buf + r - 5, 5);
		} else {
			memmove(tail, tail + r, (size_t)(5 - r));
			memcpy(tail + 5 - r, buf, (size_t)r);
		}
	}
out:
	fputs("\n=====\n", log);
	fflush(log);
}

static void
answer(int fd, const char *script, size_t len)
{
	static const char split[] = "\n--split--\n";
	const char *p = script, *s;

	if (len >= 4 && !strncmp(script, "hang", 4)) {
		pause_ms(60000);
		return;
	}
	while ((s = memmem(p, len - (size_t)(p - script), split,
			   sizeof(split) - 1))) {
		write_all(fd, p, (size_t)(s - p));
		pause_ms(30);
		p = s + sizeof(split) - 1;
	}
	write_all(fd, p, len - (size_t)(p - script));
}

static int
listen_on(const char *where)
{
	int fd;

	if (!strncmp(where, "tcp:", 4)) {
		struct sockaddr_in a = { 0 };
		socklen_t alen = sizeof(a);
		char tmp[4096];
		FILE *f;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(fd, 8) < 0 ||
		    getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
			return -1;
		snprintf(tmp, sizeof(tmp), "%s.tmp", where + 4);
		f = fopen(tmp, "w");
		if (!f)
			return -1;
		fprintf(f, "%d\n", ntohs(a.sin_port));
		fclose(f);
		rename(tmp, where + 4);
	} else {
		struct sockaddr_un a = { 0 };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		a.sun_family = AF_UNIX;
		if (fd < 0 || strlen(where) + 2 >= sizeof(a.sun_path))
			return -1;
		/* Bind to a temporary name, listen, then rename: the socket
		 * appears only once it accepts connections. */
		snprintf(a.sun_path, sizeof(a.sun_path), "%s.t", where);
		unlink(a.sun_path);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(fd, 8) < 0 || rename(a.sun_path, where) < 0)
			return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	char path[4096];
	FILE *log;
	int lfd, n;

	if (argc != 4) {
		fputs("usage: fake-engine LISTEN SCRIPTDIR LOG\n", stderr);
		return 2;
	}
	log = fopen(argv[3], "a");
	lfd = listen_on(argv[1]);
	if (!log || lfd < 0) {
		perror("fake-engine");
		return 1;
	}
	for (n = 1;; n++) {
		size_t len;
		char *script;
		int fd;

		snprintf(path, sizeof(path), "%s/%d", argv[2], n);
		script = slurp(path, &len);
		if (!script)
			break;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			free(script);
			break;
		}
		read_request(fd, log);
		answer(fd, script, len);
		close(fd);
		free(script);
	}
	close(lfd);
	fclose(log);
	return 0;
}
