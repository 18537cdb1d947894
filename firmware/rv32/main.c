/*
 * The management core's program: bring the card up, then serve the admin queue for ever.
 * picolibc's minimal crt0 sets up the stack, .data and .bss and calls main.
 */
#include <mbufnic_fw/fw.h>

#include "mmio_hal.h"

/* Static, as fw.h asks on the card: the state lives in .bss, the stack stays small. */
static struct nic_fw fw;

int main(void) {
  struct nic_fw_hal hal;
  nic_fw_rv32_hal(&hal);
  /* A card this firmware does not know: serve nothing (the host sees status.enabled stay 0). */
  if (nic_fw_init(&fw, &hal) != 0) {
    for (;;) __asm__ volatile("wfi");
  }
  for (;;) (void)nic_fw_poll(&fw);
}
