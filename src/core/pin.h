#ifndef LT_CORE_PIN_H
#define LT_CORE_PIN_H
/* Sanitizer builds: keep every loaded library mapped to the end (pin.c). A no-op otherwise. */
void lt_pin_loaded_libraries(void);
#endif
