/* placeholder: being written */

static int unused;
