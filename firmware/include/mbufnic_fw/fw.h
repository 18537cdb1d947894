/*
 * The card's management firmware: the admin queue's command processor.
 *
 * Freestanding C (C11, no OS, no heap, no libc beyond <stdint.h>/<stddef.h>): everything the
 * firmware touches goes through the HAL below, which the place it runs binds.  In simulation a
 * backend binds it to the card's management CSR port and its host-memory model; on the card a
 * management core binds it to MMIO (firmware/rv32).  docs/admin.md has the protocol, hw/nic.toml
 * every layout.
 */
#ifndef MBUFNIC_FW_FW_H_
#define MBUFNIC_FW_FW_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NIC_FW_VERSION_MAJOR 1
#define NIC_FW_VERSION_MINOR 0

/* What the firmware needs from where it runs.  Each call returns 0 on success and anything
 * else when the bus answered with an error (the firmware then reports and undoes). */
struct nic_fw_hal {
  void *ctx;
  /* CSR access from the card's management side, at byte offsets of the card's address map. */
  int (*csr_read)(void *ctx, uint32_t offset, uint32_t *value);
  int (*csr_write)(void *ctx, uint32_t offset, uint32_t value);
  /* Host memory by bus address, as the card's DMA reaches it (the same rights apply). */
  int (*dma_read)(void *ctx, uint64_t bus, void *dst, uint32_t len);
  int (*dma_write)(void *ctx, uint64_t bus, const void *src, uint32_t len);
};

/* Most queues of either direction the firmware tracks (the card has at most 256). */
#define NIC_FW_MAX_QUEUES 256

/* The firmware's state: allocate it anywhere (static on the card), set it up with
 * nic_fw_init and leave its fields alone. */
struct nic_fw {
  struct nic_fw_hal hal;
  uint16_t num_txq, num_rxq; /* from the card block */
  uint16_t tx_max_descs, rx_max_bufs, max_frame, stream_width;
  uint32_t caps;        /* admin_offload bits the card has */
  uint32_t offloads_on; /* admin_offload bits on */
  uint32_t card_id;
  uint16_t mtu;          /* port.mtu as the firmware last wrote it */
  int aq_enabled;        /* ctrl.enable as the firmware last answered it */
  int aq_err;            /* stopped with status.err until ctrl.enable goes to 0 */
  uint64_t aq_sq, aq_cq; /* ring bus addresses */
  uint32_t aq_mask;      /* entries - 1 */
  uint32_t aq_head;      /* next submission entry to take */
  uint32_t aq_cq_tail;   /* next completion entry to write */
  uint32_t aq_phase;     /* phase bit of the current pass round the completion ring */
  uint8_t txq_up[NIC_FW_MAX_QUEUES / 8], rxq_up[NIC_FW_MAX_QUEUES / 8];
  uint32_t commands; /* completed since init */
};

/* After the card's reset: reads the card's identity, puts the offloads and the MTU at their
 * defaults.  Returns 0, or nonzero when the card block is not one this firmware knows. */
int nic_fw_init(struct nic_fw *fw, const struct nic_fw_hal *hal);

/* Serves the admin queue once: follows ctrl.enable (answering in status), then runs every
 * command the host has posted, writing a completion for each.  Never waits without bound.
 * Returns the commands completed. */
unsigned nic_fw_poll(struct nic_fw *fw);

#ifdef __cplusplus
}
#endif

#endif /* MBUFNIC_FW_FW_H_ */
