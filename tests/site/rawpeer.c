/*
 * rawpeer.c - a hostile HTTP peer for protocol-level faults only.
 *
 *   rawpeer [--lifetime SEC]
 *
 * The local site is libmicrohttpd, which (rightly) cannot send broken
 * HTTP.  This peer exists for the few answers no HTTP library produces:
 * it reads a request head and answers with canned bytes chosen by the
 * request path, then closes:
 *   /chunked    a chunked body whose chunk size is not hex
 *   /truncated  a chunked body that ends without its last chunk
 *   /garbage    no HTTP at all
 * Listens on 127.0.0.1 (a free port, printed on stdout), one connection
 * at a time, every read bounded in size and time; exits after --lifetime
 * seconds (default 300) or on SIGTERM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX        16384
#define READ_TIMEOUT_MS 5000

static const char chunked[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "ZZ-not-hex\r\n<html>broken</html>\r\n0\r\n\r\n";
static const char truncated[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n"
                                "1a\r\n<html><title>half</title>\r\n";
static const char garbage[] = "\x01\x02 this is not HTTP \xff\xfe\r\n\r\n";

/* Reads until the end of the request head (bounded); returns its text. */
static int read_head(int fd, char *head, size_t cap)
{
    size_t got = 0;
    struct pollfd pfd = {fd, POLLIN, 0};

    while (got < cap - 1) {
        ssize_t r;
        if (poll(&pfd, 1, READ_TIMEOUT_MS) != 1)
            return -1;
        r = read(fd, head + got, cap - 1 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        head[got] = '\0';
        if (strstr(head, "\r\n\r\n"))
            return 0;
    }
    return -1;
}

static void answer(int fd)
{
    char head[HEAD_MAX];
    const char *reply = garbage;
    size_t len = sizeof(garbage) - 1;

    if (read_head(fd, head, sizeof(head)))
        return;
    if (!strncmp(head, "GET /chunked ", 13)) {
        reply = chunked;
        len = sizeof(chunked) - 1;
    } else if (!strncmp(head, "GET /truncated ", 15)) {
        reply = truncated;
        len = sizeof(truncated) - 1;
    }
    if (write(fd, reply, len) < 0)
        return;
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    long lifetime = 300;
    time_t end;
    int s, one = 1;

    if (argc == 3 && !strcmp(argv[1], "--lifetime"))
        lifetime = strtol(argv[2], NULL, 10);
    signal(SIGPIPE, SIG_IGN);
    s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) ||
        listen(s, 64) || getsockname(s, (struct sockaddr *)&addr, &alen)) {
        perror("rawpeer");
        return 1;
    }
    printf("%u\n", ntohs(addr.sin_port));
    fflush(stdout);
    end = time(NULL) + lifetime;
    while (time(NULL) < end) {
        struct pollfd pfd = {s, POLLIN, 0};
        int c;
        if (poll(&pfd, 1, 1000) != 1)
            continue;
        c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        answer(c);
        close(c);
    }
    close(s);
    return 0;
}
