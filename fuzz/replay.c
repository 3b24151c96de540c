/* replay.c: a main for a libFuzzer harness built without libFuzzer (fuzz/):
 * every file of the folders (or files) named on the command line is fed
 * once to LLVMFuzzerTestOneInput, after LLVMFuzzerInitialize when the
 * harness has one. The normal build makes one per harness and `meson test`
 * replays each seed corpus, so the harnesses compile with the rest of the
 * tree and the corpus keeps passing. Prints TAP, one test per input; a
 * finding aborts, as under libFuzzer (the inputs not reached then count as
 * failed by the plan). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **paths;
static size_t n_paths, cap_paths;

static void add_path(const char *p)
{
	if (n_paths == cap_paths) {
		cap_paths = cap_paths ? cap_paths * 2 : 64;
		paths = realloc(paths, cap_paths * sizeof *paths);
		if (!paths)
			abort();
	}
	paths[n_paths++] = strdup(p);
}

/* The file's bytes (malloc'd; *len set), NULL when it cannot be read. */
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n;
	uint8_t *data = malloc(cap);
	*len = 0;
	while (data && (n = fread(data + *len, 1, cap - *len, f)) > 0) {
		*len += n;
		if (*len == cap)
			data = realloc(data, cap *= 2);
	}
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0) {
			perror(argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			add_path(argv[a]);
			continue;
		}
		struct dirent **list;
		int n = scandir(argv[a], &list, NULL, alphasort);
		if (n < 0) {
			perror(argv[a]);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (list[i]->d_name[0] != '.') {
				char path[4096];
				snprintf(path, sizeof path, "%s/%s", argv[a], list[i]->d_name);
				add_path(path);
			}
			free(list[i]);
		}
		free(list);
	}
	if (n_paths == 0) {
		printf("1..1\nnot ok 1 - no input to replay\n");
		return 1;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", n_paths);
	fflush(stdout);
	int failed = 0;
	for (size_t i = 0; i < n_paths; i++) {
		size_t len;
		uint8_t *data = read_all(paths[i], &len);
		if (data)
			LLVMFuzzerTestOneInput(data, len);
		else
			failed = 1;
		printf("%s %zu - %s\n", data ? "ok" : "not ok", i + 1, paths[i]);
		fflush(stdout);
		free(data);
		free(paths[i]);
	}
	free(paths);
	return failed;
}
