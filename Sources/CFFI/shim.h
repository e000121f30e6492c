// libffi (Debian: libffi-dev), for calling plain C functions whose signature is known only at run time.
#include <ffi.h>

// libffi's type descriptors are C globals; these accessors give Swift their addresses.
static inline ffi_type *zoo_ffi_type_void(void) { return &ffi_type_void; }
static inline ffi_type *zoo_ffi_type_pointer(void) { return &ffi_type_pointer; }
static inline ffi_type *zoo_ffi_type_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *zoo_ffi_type_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *zoo_ffi_type_float(void) { return &ffi_type_float; }
static inline ffi_type *zoo_ffi_type_double(void) { return &ffi_type_double; }
static inline ffi_type *zoo_ffi_type_uint8(void) { return &ffi_type_uint8; }
