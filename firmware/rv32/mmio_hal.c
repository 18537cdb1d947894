/* The MMIO HAL of the management core (mmio_hal.h has the address map). */
#include "mmio_hal.h"

#include <stddef.h>
#include <stdint.h>

static volatile uint32_t *reg(uint32_t addr) { return (volatile uint32_t *)(uintptr_t)addr; }

static uint32_t mbox_rd(uint32_t off) { return *reg(NIC_FW_RV32_MBOX_BASE + off); }

static void mbox_wr(uint32_t off, uint32_t v) { *reg(NIC_FW_RV32_MBOX_BASE + off) = v; }

static int csr_read(void *ctx, uint32_t offset, uint32_t *value) {
  (void)ctx;
  *value = *reg(NIC_FW_RV32_CSR_BASE + offset);
  return (mbox_rd(NIC_FW_RV32_MBOX_CSR_ERR) & 1u) ? -1 : 0;
}

static int csr_write(void *ctx, uint32_t offset, uint32_t value) {
  (void)ctx;
  *reg(NIC_FW_RV32_CSR_BASE + offset) = value;
  return (mbox_rd(NIC_FW_RV32_MBOX_CSR_ERR) & 1u) ? -1 : 0;
}

/* One transfer of at most a buffer's worth; waits, bounded, for the engine. */
static int mbox_run(uint64_t bus, uint32_t len, uint32_t go) {
  uint32_t i, st = NIC_FW_RV32_MBOX_STATUS_BUSY;
  mbox_wr(NIC_FW_RV32_MBOX_ADDR_LO, (uint32_t)bus);
  mbox_wr(NIC_FW_RV32_MBOX_ADDR_HI, (uint32_t)(bus >> 32));
  mbox_wr(NIC_FW_RV32_MBOX_LEN, len);
  mbox_wr(NIC_FW_RV32_MBOX_GO, go);
  for (i = 0; i < NIC_FW_RV32_MBOX_POLLS && (st & NIC_FW_RV32_MBOX_STATUS_BUSY); ++i)
    st = mbox_rd(NIC_FW_RV32_MBOX_STATUS);
  return (st & (NIC_FW_RV32_MBOX_STATUS_BUSY | NIC_FW_RV32_MBOX_STATUS_ERROR)) ? -1 : 0;
}

/* The buffer takes word accesses only: bytes are packed little-endian into words. */
static void buf_put(const uint8_t *src, uint32_t len) {
  uint32_t i, w = 0;
  for (i = 0; i < len; ++i) {
    w |= (uint32_t)src[i] << (8 * (i % 4));
    if (i % 4 == 3 || i + 1 == len) {
      mbox_wr(NIC_FW_RV32_MBOX_BUF + (i & ~3u), w);
      w = 0;
    }
  }
}

static void buf_get(uint8_t *dst, uint32_t len) {
  uint32_t i, w = 0;
  for (i = 0; i < len; ++i) {
    if (i % 4 == 0) w = mbox_rd(NIC_FW_RV32_MBOX_BUF + i);
    dst[i] = (uint8_t)(w >> (8 * (i % 4)));
  }
}

static int dma_read(void *ctx, uint64_t bus, void *dst, uint32_t len) {
  uint8_t *d = (uint8_t *)dst;
  (void)ctx;
  while (len) {
    const uint32_t n = len < NIC_FW_RV32_MBOX_BUF_BYTES ? len : NIC_FW_RV32_MBOX_BUF_BYTES;
    if (mbox_run(bus, n, NIC_FW_RV32_MBOX_GO_READ)) return -1;
    buf_get(d, n);
    d += n;
    bus += n;
    len -= n;
  }
  return 0;
}

static int dma_write(void *ctx, uint64_t bus, const void *src, uint32_t len) {
  const uint8_t *s = (const uint8_t *)src;
  (void)ctx;
  while (len) {
    const uint32_t n = len < NIC_FW_RV32_MBOX_BUF_BYTES ? len : NIC_FW_RV32_MBOX_BUF_BYTES;
    buf_put(s, n);
    if (mbox_run(bus, n, NIC_FW_RV32_MBOX_GO_WRITE)) return -1;
    s += n;
    bus += n;
    len -= n;
  }
  return 0;
}

void nic_fw_rv32_hal(struct nic_fw_hal *hal) {
  hal->ctx = NULL;
  hal->csr_read = csr_read;
  hal->csr_write = csr_write;
  hal->dma_read = dma_read;
  hal->dma_write = dma_write;
}
