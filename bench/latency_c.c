/* Measurement 6 for the "mosquitto C" row: QoS 1 publish round trip (mosquitto_publish ->
 * on_publish, i.e. PUBACK in) at a fixed offered rate, against libmosquitto.
 *
 *   latency_c HOST PORT RATE N WARMUP CLIENT_ID [threaded]
 *
 * Publishes WARMUP + N messages (16-byte payload, topic bench/pub, QoS 1), message i started at
 * t0 + i / RATE (CLOCK_MONOTONIC); a publish that is late starts at once, none is skipped.
 * Each latency runs from the moment mosquitto_publish() is called to the on_publish callback
 * for its mid. The first WARMUP messages are not counted.
 *
 * Default: one thread, the program's own loop (ppoll on the client's socket until the next
 * scheduled start, mosquitto_loop_read/write/misc), so a publish is written by the calling
 * thread and its PUBACK read by the same thread, as mosquitto_pub does.
 * "threaded": mosquitto_loop_start() (libmosquitto's network thread writes, reads and calls
 * on_publish); the main thread sleeps with clock_nanosleep(TIMER_ABSTIME) between publishes.
 *
 * Prints one JSON line in the shape of the Python workers (bench/_common.py):
 *   {"result": {"p50_us": ..., "p99_us": ..., "max_us": ..., "mean_us": ..., "n": ...,
 *               "rate": ..., "lag_p99_us": ..., "lag_max_us": ...}}
 * Percentiles are nearest-rank, as in _common.latency_result().
 * Build: cc -O2 -o latency_c latency_c.c -lmosquitto   (bench/run does it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_MSGS 65000 /* mids (1..65535) must not wrap within one run */

static int64_t ack_by_mid[65536];
static atomic_int acked;
static atomic_int connected; /* 0 waiting, 1 connected, -1 refused */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)m; (void)obj;
	atomic_store(&connected, rc == 0 ? 1 : -1);
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	int64_t t = now_ns();
	(void)m; (void)obj;
	ack_by_mid[mid & 0xffff] = t;
	atomic_fetch_add(&acked, 1); /* publishes ack_by_mid[mid] to the main thread */
}

/* Own loop: wait up to timeout_ns for the socket, then read/write/misc. */
static int service(struct mosquitto *m, int64_t timeout_ns)
{
	struct pollfd pfd = {.fd = mosquitto_socket(m), .events = POLLIN};
	struct timespec ts;
	int rc = MOSQ_ERR_SUCCESS;

	if (timeout_ns < 0)
		timeout_ns = 0;
	ts.tv_sec = timeout_ns / 1000000000;
	ts.tv_nsec = timeout_ns % 1000000000;
	if (mosquitto_want_write(m))
		pfd.events |= POLLOUT;
	if (ppoll(&pfd, 1, &ts, NULL) > 0) {
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			rc = mosquitto_loop_read(m, 1);
		if (rc == MOSQ_ERR_SUCCESS && (pfd.revents & POLLOUT))
			rc = mosquitto_loop_write(m, 1);
	}
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_loop_misc(m);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p % of the sample at or below it. */
static double pct_us(const int64_t *sorted, int n, double p)
{
	int k = (int)ceil(p / 100.0 * n) - 1;
	return sorted[k < 0 ? 0 : k] / 1e3;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "latency_c: %s: %s\n", what, rc ? mosquitto_strerror(rc) : "failed");
	return 1;
}

int main(int argc, char **argv)
{
	static const char payload[] = "0123456789abcdef";
	struct mosquitto *m;
	int port, n, warm, total, threaded, rc, i, mid;
	double rate;
	int64_t period, t0, deadline, *start, *lat, *lag, sum = 0;
	int *mids;

	if (argc < 7) {
		fprintf(stderr, "usage: %s HOST PORT RATE N WARMUP CLIENT_ID [threaded]\n", argv[0]);
		return 2;
	}
	port = atoi(argv[2]);
	rate = atof(argv[3]);
	n = atoi(argv[4]);
	warm = atoi(argv[5]);
	threaded = argc > 7 && strcmp(argv[7], "threaded") == 0;
	total = warm + n;
	if (rate <= 0 || n < 1 || warm < 0 || total > MAX_MSGS) {
		fprintf(stderr, "latency_c: need RATE > 0, 1 <= N, WARMUP + N <= %d\n", MAX_MSGS);
		return 2;
	}
	period = (int64_t)(1e9 / rate);
	start = calloc(total, sizeof *start);
	lag = calloc(total, sizeof *lag);
	lat = calloc(n, sizeof *lat);
	mids = calloc(total, sizeof *mids);
	if (!start || !lag || !lat || !mids)
		return fail("out of memory", 0);

	mosquitto_lib_init();
	m = mosquitto_new(argv[6], true, NULL);
	if (!m)
		return fail("mosquitto_new", 0);
	mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, 100); /* as the other contenders */
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_publish_callback_set(m, on_publish);
	if ((rc = mosquitto_connect(m, argv[1], port, 60)) != MOSQ_ERR_SUCCESS)
		return fail("connect", rc);
	if (threaded && (rc = mosquitto_loop_start(m)) != MOSQ_ERR_SUCCESS)
		return fail("loop_start", rc);
	deadline = now_ns() + 10 * (int64_t)1000000000;
	while (atomic_load(&connected) == 0 && now_ns() < deadline) {
		if (threaded) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		} else if ((rc = service(m, 10000000)) != MOSQ_ERR_SUCCESS) {
			return fail("connecting", rc);
		}
	}
	if (atomic_load(&connected) != 1)
		return fail("no CONNACK", 0);

	t0 = now_ns() + 1000000;
	for (i = 0; i < total; i++) {
		int64_t target = t0 + i * period, t;

		if (threaded) {
			struct timespec ts = {target / 1000000000, target % 1000000000};
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		} else {
			while ((t = now_ns()) < target)
				if ((rc = service(m, target - t)) != MOSQ_ERR_SUCCESS)
					return fail("loop", rc);
		}
		t = now_ns();
		rc = mosquitto_publish(m, &mid, "bench/pub", 16, payload, 1, false);
		if (rc != MOSQ_ERR_SUCCESS)
			return fail("publish", rc);
		start[i] = t;
		lag[i] = t - target;
		mids[i] = mid;
	}
	deadline = now_ns() + 10 * (int64_t)1000000000;
	while (atomic_load(&acked) < total && now_ns() < deadline) {
		if (threaded) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		} else if ((rc = service(m, 10000000)) != MOSQ_ERR_SUCCESS) {
			return fail("loop", rc);
		}
	}
	if (atomic_load(&acked) < total) {
		fprintf(stderr, "latency_c: only %d of %d PUBACKs within 10 s\n",
			atomic_load(&acked), total);
		return 1;
	}
	mosquitto_disconnect(m);
	if (threaded)
		mosquitto_loop_stop(m, false);
	else
		service(m, 0);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();

	for (i = 0; i < n; i++) {
		lat[i] = ack_by_mid[mids[warm + i] & 0xffff] - start[warm + i];
		sum += lat[i];
	}
	qsort(lat, n, sizeof *lat, cmp_i64);
	qsort(lag + warm, n, sizeof *lag, cmp_i64);
	printf("{\"result\": {\"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, "
	       "\"mean_us\": %.1f, \"n\": %d, \"rate\": %.1f, \"lag_p99_us\": %.1f, "
	       "\"lag_max_us\": %.1f, \"mode\": \"%s\"}}\n",
	       pct_us(lat, n, 50), pct_us(lat, n, 99), lat[n - 1] / 1e3, sum / 1e3 / n, n,
	       n > 1 ? (n - 1) * 1e9 / (double)(start[total - 1] - start[warm]) : 0.0,
	       pct_us(lag + warm, n, 99), lag[total - 1] / 1e3,
	       threaded ? "loop_start" : "own loop");
	return 0;
}
