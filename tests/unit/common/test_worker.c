#include "../test.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/worker.h"

struct item {
	int id;
	struct worker_node node;        /* not first: WORKER_ITEM must do the arithmetic */
};

static struct item *
take(struct worker_queue *q, uint64_t now, uint64_t *wake)
{
	struct worker_node *n = worker_queue_take_due(q, now, wake);

	return n ? WORKER_ITEM(n, struct item, node) : NULL;
}

static void
test_queue_empty(void **state)
{
	struct worker_queue q = { NULL, NULL };
	uint64_t wake = 42;

	(void)state;
	assert_null(worker_queue_take_due(&q, UINT64_MAX, &wake));
	assert_int_equal(wake, 0);
	assert_null(worker_queue_pop(&q));
}

static void
test_queue_earliest_first(void **state)
{
	struct item it[5] = { { 0, { NULL, 30 } }, { 1, { NULL, 10 } }, { 2, { NULL, 20 } },
		{ 3, { NULL, 10 } }, { 4, { NULL, 0 } } };
	struct worker_queue q = { NULL, NULL };
	uint64_t wake = 0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		it[i].node.next = &it[(i + 1) % 5].node;        /* append must reset it */
		worker_queue_append(&q, &it[i].node);
	}
	/* Only the one due now (0) is taken; the next wake-up is the earliest of the rest. */
	assert_ptr_equal(take(&q, 5, &wake), &it[4]);
	assert_null(take(&q, 5, &wake));
	assert_int_equal(wake, 10);
	/* Among equal due times, the first appended; the tail follows what is unlinked. */
	assert_ptr_equal(take(&q, 100, &wake), &it[1]);
	assert_null(it[1].node.next);
	assert_ptr_equal(take(&q, 100, &wake), &it[3]);
	assert_ptr_equal(q.tail, &it[2].node);
	assert_ptr_equal(take(&q, 100, &wake), &it[2]);
	assert_ptr_equal(q.tail, &it[0].node);
	/* A retry goes back at the tail with a later due time. */
	it[1].node.due_ns = 200;
	worker_queue_append(&q, &it[1].node);
	assert_ptr_equal(q.tail, &it[1].node);
	assert_ptr_equal(take(&q, 100, &wake), &it[0]);
	assert_null(take(&q, 199, &wake));
	assert_int_equal(wake, 200);
	assert_ptr_equal(take(&q, 200, &wake), &it[1]);
	assert_null(q.head);
	assert_null(q.tail);
	assert_null(take(&q, UINT64_MAX, &wake));
	assert_int_equal(wake, 0);
}

static void
test_queue_pop(void **state)
{
	struct item it[3] = { { 0, { NULL, 9 } }, { 1, { NULL, 1 } }, { 2, { NULL, 5 } } };
	struct worker_queue q = { NULL, NULL };
	uint64_t wake;

	(void)state;
	for (int i = 0; i < 3; i++)
		worker_queue_append(&q, &it[i].node);
	/* In append order, due or not. */
	assert_ptr_equal(worker_queue_pop(&q), &it[0].node);
	assert_null(it[0].node.next);
	assert_ptr_equal(worker_queue_pop(&q), &it[1].node);
	assert_ptr_equal(worker_queue_pop(&q), &it[2].node);
	assert_null(worker_queue_pop(&q));
	assert_null(q.tail);
	/* Still usable after being emptied. */
	worker_queue_append(&q, &it[2].node);
	assert_ptr_equal(take(&q, 5, &wake), &it[2]);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool flag;
	int rc;
};

static void *
signaller(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
	pthread_mutex_lock(&w->lock);
	w->flag = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void
test_cond_deadline(void **state)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };
	uint64_t start, deadline;
	pthread_t t;
	int rc = 0;

	(void)state;
	assert_int_equal(worker_cond_init(&w.cond), 0);
	pthread_mutex_lock(&w.lock);
	/* A deadline already past: at once. */
	assert_int_equal(worker_cond_wait(&w.cond, &w.lock, time_mono_ns() - 1), ETIMEDOUT);
	/* The deadline is on the monotonic clock: not before it, and not long after. */
	start = time_mono_ns();
	deadline = start + 100 * 1000000u;
	while (rc == 0)
		rc = worker_cond_wait(&w.cond, &w.lock, deadline);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(time_mono_ns() >= deadline);
	assert_true(time_mono_ns() - start < 5000 * 1000000ull);
	/* Without a deadline (0), a signal ends the wait. */
	assert_int_equal(pthread_create(&t, NULL, signaller, &w), 0);
	while (!w.flag)
		assert_int_equal(worker_cond_wait(&w.cond, &w.lock, 0), 0);
	/* And with one far away, too. */
	w.flag = false;
	pthread_mutex_unlock(&w.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, signaller, &w), 0);
	pthread_mutex_lock(&w.lock);
	deadline = time_mono_ns() + 60000 * 1000000ull;
	while (!w.flag)
		assert_int_equal(worker_cond_wait(&w.cond, &w.lock, deadline), 0);
	pthread_mutex_unlock(&w.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_cond_destroy(&w.cond);
}

struct consumer {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct worker_queue q;
	atomic_bool stop;
	struct worker_node *got[3];
	uint64_t at[3];
};

static void *
consume(void *arg)
{
	struct consumer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < 3; i++) {
		c->got[i] = worker_queue_wait(&c->q, &c->wake, &c->lock, &c->stop);
		c->at[i] = time_mono_ns();
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Waits until the consumer has returned from its i-th wait. */
static void
consumed(struct consumer *c, int i)
{
	struct timespec pause = { 0, 5 * 1000000L };
	bool done;

	do {
		nanosleep(&pause, NULL);
		pthread_mutex_lock(&c->lock);
		done = c->at[i] != 0;
		pthread_mutex_unlock(&c->lock);
	} while (!done);
}

static void
test_queue_wait(void **state)
{
	struct consumer c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct item late = { 1, { NULL, 0 } }, now = { 2, { NULL, 0 } };
	struct timespec pause = { 0, 20 * 1000000L };
	uint64_t due;
	pthread_t t;

	(void)state;
	atomic_init(&c.stop, false);
	assert_int_equal(worker_cond_init(&c.wake), 0);
	assert_int_equal(pthread_create(&t, NULL, consume, &c), 0);
	/* The consumer sleeps on an empty queue, then on a future item until it is due;
	 * one due now, appended meanwhile, goes first. */
	nanosleep(&pause, NULL);
	pthread_mutex_lock(&c.lock);
	due = late.node.due_ns = time_mono_ns() + 1000 * 1000000u;
	worker_queue_append(&c.q, &late.node);
	pthread_cond_signal(&c.wake);
	pthread_mutex_unlock(&c.lock);
	nanosleep(&pause, NULL);
	pthread_mutex_lock(&c.lock);
	worker_queue_append(&c.q, &now.node);
	pthread_cond_signal(&c.wake);
	pthread_mutex_unlock(&c.lock);
	consumed(&c, 0);
	assert_ptr_equal(c.got[0], &now.node);
	assert_true(c.at[0] < due);
	consumed(&c, 1);
	assert_ptr_equal(c.got[1], &late.node);
	assert_true(c.at[1] >= due);
	/* Stop ends the wait with NULL, with nothing queued. */
	pthread_mutex_lock(&c.lock);
	atomic_store(&c.stop, true);
	pthread_cond_signal(&c.wake);
	pthread_mutex_unlock(&c.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(c.got[2]);
	/* Stop wins over an item that is due. */
	worker_queue_append(&c.q, &now.node);
	pthread_mutex_lock(&c.lock);
	assert_null(worker_queue_wait(&c.q, &c.wake, &c.lock, &c.stop));
	pthread_mutex_unlock(&c.lock);
	assert_ptr_equal(c.q.head, &now.node);
	pthread_cond_destroy(&c.wake);
}

static void *
read_mask(void *arg)
{
	sigset_t *mask = arg;

	pthread_sigmask(SIG_SETMASK, NULL, mask);
	return NULL;
}

static void
test_start_blocks_signals(void **state)
{
	sigset_t before, after, seen;
	pthread_t t;

	(void)state;
	sigemptyset(&seen);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	assert_int_equal(worker_start(&t, read_mask, &seen), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* The thread takes none (SIGKILL and SIGSTOP cannot be blocked and are not reported). */
	assert_int_equal(sigismember(&seen, SIGINT), 1);
	assert_int_equal(sigismember(&seen, SIGTERM), 1);
	assert_int_equal(sigismember(&seen, SIGHUP), 1);
	assert_int_equal(sigismember(&seen, SIGPIPE), 1);
	assert_int_equal(sigismember(&seen, SIGUSR1), 1);
	/* The caller's mask is as it was. */
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	for (int sig = 1; sig < NSIG; sig++)
		assert_int_equal(sigismember(&after, sig), sigismember(&before, sig));
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(worker_backoff_ms(500, 60000, 0), 500);
	assert_int_equal(worker_backoff_ms(500, 60000, 1), 500);
	assert_int_equal(worker_backoff_ms(500, 60000, 2), 1000);
	assert_int_equal(worker_backoff_ms(500, 60000, 7), 32000);
	assert_int_equal(worker_backoff_ms(500, 60000, 8), 60000);
	assert_int_equal(worker_backoff_ms(500, 60000, UINT_MAX), 60000);
	assert_int_equal(worker_backoff_ms(1000, 300000, 9), 256000);
	assert_int_equal(worker_backoff_ms(1000, 300000, 10), 300000);
	/* A first delay over the cap is capped; an odd cap is reached exactly. */
	assert_int_equal(worker_backoff_ms(90000, 60000, 1), 60000);
	assert_int_equal(worker_backoff_ms(3, 7, 2), 6);
	assert_int_equal(worker_backoff_ms(3, 7, 3), 7);
	/* No overflow near UINT_MAX: it saturates at the cap. */
	assert_int_equal(worker_backoff_ms(UINT_MAX / 2 + 1, UINT_MAX, 2), UINT_MAX);
	assert_int_equal(worker_backoff_ms(3000000000u, UINT_MAX, 5), UINT_MAX);
	assert_int_equal(worker_backoff_ms(0, 100, 50), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_empty),
		cmocka_unit_test(test_queue_earliest_first),
		cmocka_unit_test(test_queue_pop),
		cmocka_unit_test(test_queue_wait),
		cmocka_unit_test(test_cond_deadline),
		cmocka_unit_test(test_start_blocks_signals),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
