/* fuzz_po.c: libFuzzer harness for the .po loader (fuzz/): any input is
 * loaded as the French table, then looked up. A crash, a sanitizer report
 * or a leak is a finding. */
#include "common/ps_err.h"
#include "common/ps_i18n.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_err err = {0};
	if (ps_i18n_load_po(PS_LANG_FR, (const char *)data, size, &err) == PS_OK)
		ps_tr(PS_LANG_FR, "the store is unavailable right now; try again shortly");
	ps_i18n_fini();
	return 0;
}
