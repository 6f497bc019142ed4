/* tally: a tiny HTTP service that counts the requests it serves.
 *
 *   GET /health  ->  "ok"
 *   GET /        ->  "tally: N requests served, M packages"
 *
 * It listens on $PORT (default 8080), needs the packages installed under /app/vendor, and on
 * SIGTERM (what `docker stop` sends) it finishes the request in hand and exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;

static void on_term(int sig) {
    (void)sig;
    stopping = 1;
}

static int count_packages(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *port_env = getenv("PORT");
    int port = port_env && *port_env ? atoi(port_env) : 8080;
    int packages = count_packages("/app/vendor");
    if (packages == 0) {
        printf("tally: no packages in /app/vendor: were the dependencies installed?\n");
        return 1;
    }

    /* No SA_RESTART: a signal interrupts accept(), so the loop sees `stopping` at once. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short)port);
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 16) < 0) {
        printf("tally: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("tally: listening on port %d with %d packages (uid %d)\n", port, packages,
           (int)getuid());

    unsigned long served = 0;
    while (!stopping) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue; /* EINTR from SIGTERM: the loop condition decides */
        char req[1024];
        ssize_t n = read(c, req, sizeof req - 1);
        req[n > 0 ? n : 0] = '\0';
        char body[128];
        if (strncmp(req, "GET /health", 11) == 0)
            snprintf(body, sizeof body, "ok\n");
        else
            snprintf(body, sizeof body, "tally: %lu requests served, %d packages\n", ++served,
                     packages);
        char resp[256];
        int len = snprintf(resp, sizeof resp,
                           "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                           strlen(body), body);
        if (write(c, resp, (size_t)len) < 0)
            printf("tally: write failed: %s\n", strerror(errno));
        close(c);
    }
    printf("tally: SIGTERM received, stopped cleanly after %lu requests\n", served);
    return 0;
}
