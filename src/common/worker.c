#include "common/worker.h"

#include <signal.h>
#include <time.h>

#include "common/err.h"
#include "common/timeutil.h"

void
worker_queue_append(struct worker_queue *q, struct worker_node *n)
{
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
}

static struct worker_node *
worker_queue_unlink(struct worker_queue *q, struct worker_node *prev, struct worker_node *n)
{
	if (prev)
		prev->next = n->next;
	else
		q->head = n->next;
	if (q->tail == n)
		q->tail = prev;
	n->next = NULL;
	return n;
}

struct worker_node *
worker_queue_take_due(struct worker_queue *q, uint64_t now_ns, uint64_t *wake_ns)
{
	struct worker_node *best = NULL, *best_prev = NULL, *prev = NULL;

	/* A linear scan: queues are bounded by their owners; retries rejoin at the tail. */
	for (struct worker_node *n = q->head; n != NULL; prev = n, n = n->next)
		if (best == NULL || n->due_ns < best->due_ns) {
			best = n;
			best_prev = prev;
		}
	*wake_ns = 0;
	if (best == NULL)
		return NULL;
	if (best->due_ns > now_ns) {
		*wake_ns = best->due_ns;
		return NULL;
	}
	return worker_queue_unlink(q, best_prev, best);
}

struct worker_node *
worker_queue_pop(struct worker_queue *q)
{
	return q->head ? worker_queue_unlink(q, NULL, q->head) : NULL;
}

struct worker_node *
worker_queue_wait(struct worker_queue *q, pthread_cond_t *cond, pthread_mutex_t *lock,
    atomic_bool *stop)
{
	while (!atomic_load(stop)) {
		uint64_t wake_ns;
		struct worker_node *n = worker_queue_take_due(q, time_mono_ns(), &wake_ns);

		if (n != NULL)
			return n;
		/* wake_ns is 0 when nothing is queued: no deadline. */
		worker_cond_wait(cond, lock, wake_ns);
	}
	return NULL;
}

int
worker_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int ret = ERR_INTERNAL;

	if (pthread_condattr_init(&attr) != 0)
		return ERR_INTERNAL;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(cond, &attr) == 0)
		ret = 0;
	pthread_condattr_destroy(&attr);
	return ret;
}

int
worker_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t deadline_ns)
{
	struct timespec ts;

	if (deadline_ns == 0)
		return pthread_cond_wait(cond, lock);
	ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
	ts.tv_nsec = (long)(deadline_ns % 1000000000u);
	return pthread_cond_timedwait(cond, lock, &ts);
}

int
worker_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* The new thread inherits the mask in force when it is created. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : ERR_INTERNAL;
}

unsigned
worker_backoff_ms(unsigned first_ms, unsigned cap_ms, unsigned failures)
{
	unsigned d = first_ms;

	/* Saturates at the cap rather than doubling past it: no overflow whatever cap_ms. */
	for (unsigned i = 1; i < failures && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	return d < cap_ms ? d : cap_ms;
}
