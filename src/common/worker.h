/*
 * worker.h: pieces of a background delivery thread: a queue of items due at monotonic
 * times, condition variables on the monotonic clock, a thread that takes no signals, and
 * retry backoff. The caller keeps the lock and decides what is shared under it.
 */
#ifndef COFFRE_WORKER_H
#define COFFRE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in each queued item; due_ns is a time_mono_ns() value, 0 for "now". */
struct worker_node {
	struct worker_node *next;
	uint64_t due_ns;
};

/* Singly linked, in append order; zero-initialised it is empty. It owns no item. */
struct worker_queue {
	struct worker_node *head, *tail;
};

/* The item of type that embeds node as member. */
#define WORKER_ITEM(node, type, member) \
	((type *)(void *)((char *)(node) - offsetof(type, member)))

/* Links n at the tail; its due_ns is left as it is. */
void worker_queue_append(struct worker_queue *q, struct worker_node *n);
/* Unlinks and returns the earliest due node (the first appended among equals) if it is due
 * at now_ns; otherwise NULL with *wake_ns its due time, or 0 when the queue is empty. */
struct worker_node *worker_queue_take_due(struct worker_queue *q, uint64_t now_ns,
    uint64_t *wake_ns);
/* Unlinks and returns the head whether due or not, or NULL: to free what is left. */
struct worker_node *worker_queue_pop(struct worker_queue *q);
/* With lock held, waits on cond (from worker_cond_init) until a node of q is due, then
 * unlinks and returns it; NULL once *stop is true. Signal cond after an append or a stop. */
struct worker_node *worker_queue_wait(struct worker_queue *q, pthread_cond_t *cond,
    pthread_mutex_t *lock, atomic_bool *stop);

/* Initialises cond on CLOCK_MONOTONIC, so that a wall-clock step moves no deadline.
 * Returns 0 or ERR_INTERNAL; destroy it with pthread_cond_destroy. */
int worker_cond_init(pthread_cond_t *cond);
/* pthread_cond_wait on a cond from worker_cond_init, until deadline_ns (time_mono_ns) when
 * it is not 0. Returns 0, or ETIMEDOUT once the deadline has passed. */
int worker_cond_wait(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t deadline_ns);
/* Starts fn(arg) in a thread with every signal blocked: signals belong to the main thread.
 * Returns 0 with *thread set, or ERR_INTERNAL. */
int worker_start(pthread_t *thread, void *(*fn)(void *), void *arg);
/* The wait after the failures-th failed attempt: first_ms, doubled after each further
 * failure, at most cap_ms. */
unsigned worker_backoff_ms(unsigned first_ms, unsigned cap_ms, unsigned failures);

#endif
