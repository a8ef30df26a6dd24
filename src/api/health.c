#include <sys/statvfs.h>
#include <unistd.h>

#include "api/api.h"
#include "common/err.h"
#include "http/server.h"

/* Below this much free space the vaults cannot promise durable writes. */
#define HEALTH_MIN_FREE_BYTES (64ULL * 1024 * 1024)

int
api_health_live(struct request *req, struct response *res)
{
	(void)req;
	return response_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

int
api_health_ready(struct request *req, struct response *res)
{
	const char *dir = server_data_dir(req->server);
	struct statvfs vfs;
	unsigned long long free_bytes = 0;
	int data_ok, disk_ok;

	data_ok = access(dir, R_OK | W_OK | X_OK) == 0;
	if (statvfs(dir, &vfs) == 0)
		free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	disk_ok = free_bytes >= HEALTH_MIN_FREE_BYTES;
	if (!server_is_ready(req->server) || !data_ok || !disk_ok) {
		res->retry_after = 5;
		return response_json(res, 503, json_pack("{s:{s:s,s:s},s:{s:b,s:b,s:b}}",
		    "error", "code", "not_ready", "message", "The server is not ready for traffic.",
		    "checks", "accepting", server_is_ready(req->server), "data_folder", data_ok,
		    "disk_space", disk_ok));
	}
	return response_json(res, 200, json_pack("{s:s,s:{s:b,s:b,s:b}}", "status", "ready",
	    "checks", "accepting", 1, "data_folder", 1, "disk_space", 1));
}

int
api_health_metrics(struct request *req, struct response *res)
{
	size_t len = 0;
	char *text = server_render_metrics(req->server, &len);

	if (text == NULL)
		return ERR_NOMEM;
	return response_text(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
