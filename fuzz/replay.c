/* replay.c: a main for a libFuzzer harness built without libFuzzer (fuzz/):
 * every file of the folders (or files) named on the command line is fed
 * once to LLVMFuzzerTestOneInput, after LLVMFuzzerInitialize when the
 * harness has one. The normal build makes one per harness and `meson test`
 * replays each seed corpus, so the harnesses compile with the rest of the
 * tree and the corpus keeps passing. A finding aborts, as under libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	size_t n;
	while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			data = realloc(data, cap *= 2);
	}
	fclose(f);
	if (!data)
		return 1;
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int failed = 0;
	size_t count = 0;
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0) {
			perror(argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= replay_file(argv[a]);
			count++;
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
				failed |= replay_file(path);
				count++;
			}
			free(list[i]);
		}
		free(list);
	}
	printf("%zu input(s) replayed\n", count);
	return failed || count == 0;
}
