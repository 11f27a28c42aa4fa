/**
 * @file vivarium/process.h
 * @brief Processes: applications on a host that own the sockets they create.
 *
 * @defgroup viv_process Processes
 * @brief What the operating system does for an application that ends.
 *
 * A process is an application running on a host. It owns the sockets it is given
 * (viv_process_adopt_tcp(), viv_process_adopt_udp()); a connection accepted from a listener
 * the process owns belongs to the process too, as an accepted descriptor belongs to the
 * process that called accept(2). Sockets given to no process belong to the host, as
 * everywhere else in vivarium: only the program ends them.
 *
 * **Ending a process** (viv_process_exit(), viv_process_kill(), viv_process_free()) closes
 * every socket it still owns, the way a kernel closes the descriptors of a process that
 * exits or is killed: each TCP connection as viv_tcp_close() would (a FIN where nothing was
 * left unread, a reset where received data was never read), then the normal close states,
 * FIN-WAIT-1, FIN-WAIT-2, LAST-ACK and TIME-WAIT included, go on without the application,
 * listed by netstat with no process; each UDP socket as viv_udp_free(). From then on the
 * program must not use the handles of those sockets any more.
 *
 * **Switching the host off** (viv_node_set_up() with 0) is not the same: nothing is sent.
 * The host loses all its TCP state at once (every connection, listener, orphan and TIME-WAIT
 * vanishes without a segment), and every process on it ends (::VIV_PROCESS_POWER_LOST) with
 * its sockets. Switched on again, the host has no connection: it answers segments of the old
 * ones with a reset (RFC 9293 3.10.7.1), so the peer learns by that reset or by its own
 * timeout. A TCP socket the host owned (given to no process) stays a valid handle: it is
 * CLOSED, holds no port, and viv_tcp_error() returns ::VIV_ECONNABORTED; no callback is
 * called for it (the program that held it ran on the host).
 * @{
 */
#ifndef VIVARIUM_PROCESS_H
#define VIVARIUM_PROCESS_H

#include "tcp.h"
#include "udp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An application on a host (opaque). */
typedef struct viv_process viv_process_t;

/** How a process stands. */
typedef enum viv_process_status {
    VIV_PROCESS_RUNNING = 0,   /**< alive */
    VIV_PROCESS_EXITED = 1,    /**< ended by viv_process_exit() */
    VIV_PROCESS_KILLED = 2,    /**< ended by viv_process_kill() */
    VIV_PROCESS_POWER_LOST = 3 /**< its host was switched off */
} viv_process_status;

/**
 * Start a process on a host.
 * @param[out] out the new process, owned by the host (freed with it, or by
 *             viv_process_free()).
 * @param host the host.
 * @param name its name, copied (up to 31 bytes kept); shown by netstat with ::VIV_NETSTAT_PROCESS.
 * @return 0, ::VIV_EINVAL (NULL argument), ::VIV_ENOMEM. A process can be started on a host
 *         that is switched off; it runs until ended like any other.
 */
VIV_API int viv_process_new(viv_process_t **out, viv_host_t *host, const char *name);

/**
 * End a process (if still running, as viv_process_exit() with code 0) and free it. NULL is a
 * no-op.
 * @param p the process; the pointer is invalid afterwards.
 */
VIV_API void viv_process_free(viv_process_t *p);

/**
 * Give a TCP socket to a process: the process ends it when it ends. A socket given to
 * another process before moves to this one.
 * @param p a running process on the socket's host.
 * @param s a socket the program holds.
 * @return 0 (also when @p p owns it already), ::VIV_EINVAL (NULL argument, a socket of
 *         another host, or one the program no longer holds), ::VIV_ESTATE (the process
 *         ended).
 */
VIV_API int viv_process_adopt_tcp(viv_process_t *p, viv_tcp_t *s);

/**
 * Give a UDP socket to a process (as viv_process_adopt_tcp()).
 * @param p a running process on the socket's host.
 * @param s a socket the program holds.
 * @return 0, ::VIV_EINVAL, ::VIV_ESTATE.
 */
VIV_API int viv_process_adopt_udp(viv_process_t *p, viv_udp_t *s);

/**
 * The process exits without closing its sockets: the host closes them (see the file's
 * description), synchronously, inside this call. No callback of those sockets is called any
 * more; their handles are invalid. It may be called from a callback, that of one of its own
 * sockets included. Nothing happens if the process has already ended.
 * @param p the process.
 * @param code its exit code (kept, read with viv_process_exit_code()).
 * @return 0, or ::VIV_EINVAL.
 */
VIV_API int viv_process_exit(viv_process_t *p, int code);

/**
 * The process is killed (SIGKILL): its sockets are closed by the host exactly as for
 * viv_process_exit().
 * @param p the process.
 * @return 0, or ::VIV_EINVAL.
 */
VIV_API int viv_process_kill(viv_process_t *p);

/**
 * @param p the process.
 * @return how it stands (::VIV_PROCESS_RUNNING while alive); ::VIV_PROCESS_EXITED for NULL.
 */
VIV_API viv_process_status viv_process_status_get(const viv_process_t *p);

/**
 * @param p the process.
 * @return its exit code (0 unless viv_process_exit() gave another; 0 for NULL).
 */
VIV_API int viv_process_exit_code(const viv_process_t *p);

/**
 * @param p the process.
 * @return its name (borrowed: valid as long as the process); "" for NULL.
 */
VIV_API const char *viv_process_name(const viv_process_t *p);

/**
 * @param p the process.
 * @return its process id, 0 for NULL: 1000 for the host's first process, then one above
 *         the highest id among the host's processes not freed (the id of a freed process can
 *         be given again).
 */
VIV_API uint32_t viv_process_pid(const viv_process_t *p);

/**
 * @param p the process.
 * @return the number of sockets it owns (0 once it ended, and for NULL).
 */
VIV_API uint32_t viv_process_socket_count(const viv_process_t *p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
