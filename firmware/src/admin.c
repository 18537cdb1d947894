/*
 * The admin queue's command processor (fw.h has the API, hw/nic.toml every layout and the
 * meaning of each command and status).
 *
 * Every command is validated completely before the firmware touches the card, so a command
 * that ends in anything but ok has changed nothing.  The exceptions are the ones a check
 * cannot foresee: a register access that fails half way (card_error: what was done is undone
 * as far as the card lets it), a queue that does not stop (timeout: it stays set up, disabled)
 * and reset, which goes on past a queue that fails and reports the first problem.
 *
 * No heap, no libc: the few byte loops below stand in for memset/memcpy so the same file builds
 * freestanding for the management core and against the host's libc for the unit tests.
 */
#include <mbufnic/hw/nic_hw_c.h>
#include <mbufnic_fw/fw.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Limits the firmware enforces (identify reports them) ------------------------------- */

#define FW_MTU_MIN 68u /* IPv4's minimum */
/* An Ethernet header and one VLAN tag around the IP packet (frames reach the card without
 * their FCS): the port takes frames up to MTU + 18 bytes. */
#define FW_MTU_OVERHEAD 18u
#define FW_RING_LOG2_MIN 3u
#define FW_RING_LOG2_MAX 15u
#define FW_AQ_LOG2_MIN 1u
#define FW_AQ_LOG2_MAX 12u
#define FW_IRQ_CYCLES_LIMIT (1u << 24)
/* Reads of a queue's status.running while waiting for it to stop. */
#define FW_STOP_POLLS 10000u
#define FW_RING_ALIGN 64u

#define FW_MTU_DEFAULT \
  ((uint16_t)((NIC_PORT_MTU_RESET & NIC_PORT_MTU_VALUE_MASK) >> NIC_PORT_MTU_VALUE_SHIFT))
#define FW_OFFLOADS_KNOWN \
  (NIC_ADMIN_OFFLOAD_TX_CSUM | NIC_ADMIN_OFFLOAD_RX_CSUM | NIC_ADMIN_OFFLOAD_TSO)

/* ---- Small helpers ---------------------------------------------------------------------- */

static void fw_zero(void *p, size_t n) {
  uint8_t *b = (uint8_t *)p;
  while (n--) *b++ = 0;
}

static int csr_rd(struct nic_fw *fw, uint32_t off, uint32_t *v) {
  return fw->hal.csr_read(fw->hal.ctx, off, v);
}

static int csr_wr(struct nic_fw *fw, uint32_t off, uint32_t v) {
  return fw->hal.csr_write(fw->hal.ctx, off, v);
}

static uint32_t field(uint32_t reg, uint32_t mask, uint32_t shift) { return (reg & mask) >> shift; }

/* Base of queue q's register block in one direction. */
static uint32_t queue_base(int rx, uint32_t q) {
  return rx ? NIC_RXQ_BASE + q * NIC_RXQ_SIZE : NIC_TXQ_BASE + q * NIC_TXQ_SIZE;
}

/* The queue blocks of both directions share one layout; the firmware uses the txq names for
 * both (counters excepted) and checks here that the rxq ones agree. */
_Static_assert(NIC_RXQ_CTRL == NIC_TXQ_CTRL && NIC_RXQ_RING_LO == NIC_TXQ_RING_LO &&
                   NIC_RXQ_RING_HI == NIC_TXQ_RING_HI && NIC_RXQ_CPL_LO == NIC_TXQ_CPL_LO &&
                   NIC_RXQ_CPL_HI == NIC_TXQ_CPL_HI && NIC_RXQ_RING_SIZE == NIC_TXQ_RING_SIZE &&
                   NIC_RXQ_PROD == NIC_TXQ_PROD && NIC_RXQ_STATUS == NIC_TXQ_STATUS &&
                   NIC_RXQ_IRQ == NIC_TXQ_IRQ && NIC_RXQ_IRQ_TIME == NIC_TXQ_IRQ_TIME &&
                   NIC_RXQ_STATUS_RUNNING_MASK == NIC_TXQ_STATUS_RUNNING_MASK,
               "txq and rxq blocks differ in a register the firmware writes");

static uint8_t *up_map(struct nic_fw *fw, int rx) { return rx ? fw->rxq_up : fw->txq_up; }

static int queue_is_up(struct nic_fw *fw, int rx, uint32_t q) {
  return (up_map(fw, rx)[q / 8] >> (q % 8)) & 1u;
}

static void queue_mark(struct nic_fw *fw, int rx, uint32_t q, int up) {
  uint8_t *m = up_map(fw, rx);
  if (up)
    m[q / 8] = (uint8_t)(m[q / 8] | (1u << (q % 8)));
  else
    m[q / 8] = (uint8_t)(m[q / 8] & ~(1u << (q % 8)));
}

static uint32_t queues_up(struct nic_fw *fw) {
  uint32_t n = 0, i;
  for (i = 0; i < NIC_FW_MAX_QUEUES / 8; ++i) {
    uint8_t t = fw->txq_up[i], r = fw->rxq_up[i];
    for (; t; t &= (uint8_t)(t - 1)) ++n;
    for (; r; r &= (uint8_t)(r - 1)) ++n;
  }
  return n;
}

static uint16_t mtu_max(const struct nic_fw *fw) {
  return fw->max_frame > FW_MTU_OVERHEAD ? (uint16_t)(fw->max_frame - FW_MTU_OVERHEAD) : 0;
}

/* card.caps as admin_offload bits. */
static uint32_t caps_to_offloads(uint32_t caps) {
  uint32_t o = 0;
  if (caps & NIC_CARD_CAPS_TX_CSUM_MASK) o |= NIC_ADMIN_OFFLOAD_TX_CSUM;
  if (caps & NIC_CARD_CAPS_RX_CSUM_MASK) o |= NIC_ADMIN_OFFLOAD_RX_CSUM;
  if (caps & NIC_CARD_CAPS_TSO_MASK) o |= NIC_ADMIN_OFFLOAD_TSO;
  return o;
}

/* csum.ctrl for a set of admin_offload bits (TSO has no switch on the card yet). */
static uint32_t offloads_to_csum_ctrl(uint32_t o) {
  uint32_t v = 0;
  if (o & NIC_ADMIN_OFFLOAD_TX_CSUM) v |= NIC_CSUM_CTRL_TX_ENABLE_MASK;
  if (o & NIC_ADMIN_OFFLOAD_RX_CSUM) v |= NIC_CSUM_CTRL_RX_ENABLE_MASK;
  return v;
}

/* ---- The command entry ------------------------------------------------------------------ */

/* The fields of admin_cmd an opcode may use, as bits of a set. */
enum {
  F_QUEUE = 1u << 0,
  F_RING_LOG2 = 1u << 1,
  F_ADDR0 = 1u << 2,
  F_ADDR1 = 1u << 3,
  F_ARG0 = 1u << 4,
  F_ARG1 = 1u << 5,
  F_ARG2 = 1u << 6,
  F_LEN = 1u << 7,
};

struct cmd_field {
  uint16_t lsb, width;
  uint8_t flag; /* 0: every opcode has it (opcode, tag) */
};

#define CMD_FIELD(name, flag) \
  { NIC_ADMIN_CMD_##name##_LSB, NIC_ADMIN_CMD_##name##_WIDTH, flag }

static const struct cmd_field kCmdFields[] = {
    CMD_FIELD(OPCODE, 0),      CMD_FIELD(TAG, 0),
    CMD_FIELD(QID, F_QUEUE),   CMD_FIELD(RING_LOG2, F_RING_LOG2),
    CMD_FIELD(ADDR0, F_ADDR0), CMD_FIELD(ADDR1, F_ADDR1),
    CMD_FIELD(ARG0, F_ARG0),   CMD_FIELD(ARG1, F_ARG1),
    CMD_FIELD(ARG2, F_ARG2),   CMD_FIELD(LEN, F_LEN),
};

/* A command as read from the ring. */
struct cmd {
  uint8_t raw[NIC_ADMIN_CMD_BYTES];
  uint32_t opcode, tag, queue, ring_log2, arg0, arg1, arg2, len;
  uint64_t addr0, addr1;
};

/* What a command answers. */
struct answer {
  uint32_t status, result;
};

static void cmd_decode(struct cmd *c) {
  const uint8_t *b = c->raw;
  c->opcode = (uint32_t)NIC_GET(b, ADMIN_CMD, OPCODE);
  c->tag = (uint32_t)NIC_GET(b, ADMIN_CMD, TAG);
  c->queue = (uint32_t)NIC_GET(b, ADMIN_CMD, QID);
  c->ring_log2 = (uint32_t)NIC_GET(b, ADMIN_CMD, RING_LOG2);
  c->addr0 = NIC_GET(b, ADMIN_CMD, ADDR0);
  c->addr1 = NIC_GET(b, ADMIN_CMD, ADDR1);
  c->arg0 = (uint32_t)NIC_GET(b, ADMIN_CMD, ARG0);
  c->arg1 = (uint32_t)NIC_GET(b, ADMIN_CMD, ARG1);
  c->arg2 = (uint32_t)NIC_GET(b, ADMIN_CMD, ARG2);
  c->len = (uint32_t)NIC_GET(b, ADMIN_CMD, LEN);
}

/* 1 when every bit outside the fields in `used` (and opcode, tag) is 0: the reserved bits
 * between and after the fields, and the fields the opcode does not use. */
static int cmd_clean(const struct cmd *c, uint32_t used) {
  uint8_t rest[NIC_ADMIN_CMD_BYTES];
  size_t i;
  for (i = 0; i < sizeof rest; ++i) rest[i] = c->raw[i];
  for (i = 0; i < sizeof kCmdFields / sizeof kCmdFields[0]; ++i) {
    const struct cmd_field *f = &kCmdFields[i];
    if (f->flag == 0 || (used & f->flag)) nic_set_bits(rest, f->lsb, f->width, 0);
  }
  for (i = 0; i < sizeof rest; ++i)
    if (rest[i]) return 0;
  return 1;
}

static int ring_addr_ok(uint64_t a) { return a != 0 && (a % FW_RING_ALIGN) == 0; }

/* ---- Queues ----------------------------------------------------------------------------- */

static uint32_t cmd_create(struct nic_fw *fw, const struct cmd *c, int rx) {
  const uint32_t num = rx ? fw->num_rxq : fw->num_txq;
  const uint32_t base = queue_base(rx, c->queue);
  const uint32_t irq_pkts = (c->arg1 << NIC_TXQ_IRQ_PKTS_SHIFT) & NIC_TXQ_IRQ_PKTS_MASK;
  const uint32_t irq_cycles =
      (c->arg2 << NIC_TXQ_IRQ_TIME_CYCLES_SHIFT) & NIC_TXQ_IRQ_TIME_CYCLES_MASK;
  const uint32_t log2 =
      (c->ring_log2 << NIC_TXQ_RING_SIZE_LOG2_SHIFT) & NIC_TXQ_RING_SIZE_LOG2_MASK;
  if (!cmd_clean(c, F_QUEUE | F_RING_LOG2 | F_ADDR0 | F_ADDR1 | F_ARG1 | F_ARG2))
    return NIC_ADMIN_STATUS_BAD_RESERVED;
  if (c->queue >= num) return NIC_ADMIN_STATUS_BAD_QUEUE;
  if (queue_is_up(fw, rx, c->queue)) return NIC_ADMIN_STATUS_QUEUE_EXISTS;
  if (c->ring_log2 < FW_RING_LOG2_MIN || c->ring_log2 > FW_RING_LOG2_MAX ||
      !ring_addr_ok(c->addr0) || !ring_addr_ok(c->addr1))
    return NIC_ADMIN_STATUS_BAD_RING;
  if (c->arg1 < 1 || c->arg1 > 0xFFFFu || c->arg2 >= FW_IRQ_CYCLES_LIMIT)
    return NIC_ADMIN_STATUS_BAD_VALUE;

  /* Stopped first, so the ring registers never change under a running queue; enable last. */
  if (csr_wr(fw, base + NIC_TXQ_CTRL, 0) ||
      csr_wr(fw, base + NIC_TXQ_RING_LO, (uint32_t)c->addr0) ||
      csr_wr(fw, base + NIC_TXQ_RING_HI, (uint32_t)(c->addr0 >> 32)) ||
      csr_wr(fw, base + NIC_TXQ_CPL_LO, (uint32_t)c->addr1) ||
      csr_wr(fw, base + NIC_TXQ_CPL_HI, (uint32_t)(c->addr1 >> 32)) ||
      csr_wr(fw, base + NIC_TXQ_RING_SIZE, log2) || csr_wr(fw, base + NIC_TXQ_PROD, 0) ||
      csr_wr(fw, base + NIC_TXQ_IRQ_TIME, irq_cycles) || csr_wr(fw, base + NIC_TXQ_IRQ, irq_pkts) ||
      csr_wr(fw, base + NIC_TXQ_CTRL, NIC_TXQ_CTRL_ENABLE_MASK)) {
    /* Undo: the queue must not run on half-written rings.  If even this write fails there is
     * nothing more the firmware can do; the queue stays marked down either way. */
    (void)csr_wr(fw, base + NIC_TXQ_CTRL, 0);
    return NIC_ADMIN_STATUS_CARD_ERROR;
  }
  queue_mark(fw, rx, c->queue, 1);
  return NIC_ADMIN_STATUS_OK;
}

/* Disables queue q and waits, bounded, until the card has let go of its rings.  The queue
 * stays marked up unless it stopped. */
static uint32_t queue_stop(struct nic_fw *fw, int rx, uint32_t q) {
  const uint32_t base = queue_base(rx, q);
  uint32_t i, st;
  if (csr_wr(fw, base + NIC_TXQ_CTRL, 0)) return NIC_ADMIN_STATUS_CARD_ERROR;
  for (i = 0; i < FW_STOP_POLLS; ++i) {
    if (csr_rd(fw, base + NIC_TXQ_STATUS, &st)) return NIC_ADMIN_STATUS_CARD_ERROR;
    if (!(st & NIC_TXQ_STATUS_RUNNING_MASK)) {
      queue_mark(fw, rx, q, 0);
      return NIC_ADMIN_STATUS_OK;
    }
  }
  return NIC_ADMIN_STATUS_TIMEOUT;
}

static uint32_t cmd_destroy(struct nic_fw *fw, const struct cmd *c, int rx) {
  const uint32_t num = rx ? fw->num_rxq : fw->num_txq;
  if (!cmd_clean(c, F_QUEUE)) return NIC_ADMIN_STATUS_BAD_RESERVED;
  if (c->queue >= num) return NIC_ADMIN_STATUS_BAD_QUEUE;
  if (!queue_is_up(fw, rx, c->queue)) return NIC_ADMIN_STATUS_QUEUE_ABSENT;
  return queue_stop(fw, rx, c->queue);
}

/* ---- Port and offloads ------------------------------------------------------------------ */

static int set_mtu(struct nic_fw *fw, uint16_t mtu) {
  if (csr_wr(fw, NIC_PORT_BASE + NIC_PORT_MTU,
             ((uint32_t)mtu << NIC_PORT_MTU_VALUE_SHIFT) & NIC_PORT_MTU_VALUE_MASK))
    return -1;
  fw->mtu = mtu;
  return 0;
}

static int set_offloads(struct nic_fw *fw, uint32_t on) {
  if (csr_wr(fw, NIC_CSUM_BASE + NIC_CSUM_CTRL, offloads_to_csum_ctrl(on))) return -1;
  fw->offloads_on = on;
  return 0;
}

static uint32_t cmd_change_mtu(struct nic_fw *fw, const struct cmd *c) {
  if (!cmd_clean(c, F_ARG0)) return NIC_ADMIN_STATUS_BAD_RESERVED;
  if (c->arg0 < FW_MTU_MIN || c->arg0 > mtu_max(fw)) return NIC_ADMIN_STATUS_BAD_VALUE;
  /* One register write: when it fails, the register kept its value. */
  return set_mtu(fw, (uint16_t)c->arg0) ? NIC_ADMIN_STATUS_CARD_ERROR : NIC_ADMIN_STATUS_OK;
}

static uint32_t cmd_change_offloads(struct nic_fw *fw, const struct cmd *c) {
  if (!cmd_clean(c, F_ARG0)) return NIC_ADMIN_STATUS_BAD_RESERVED;
  if ((c->arg0 & ~fw->caps) ||
      ((c->arg0 & NIC_ADMIN_OFFLOAD_TSO) && !(c->arg0 & NIC_ADMIN_OFFLOAD_TX_CSUM)))
    return NIC_ADMIN_STATUS_BAD_VALUE;
  return set_offloads(fw, c->arg0) ? NIC_ADMIN_STATUS_CARD_ERROR : NIC_ADMIN_STATUS_OK;
}

static int set_rx_queue(struct nic_fw *fw, uint32_t q) {
  return csr_wr(fw, NIC_PORT_BASE + NIC_PORT_CTRL,
                (q << NIC_PORT_CTRL_RX_QUEUE_SHIFT) & NIC_PORT_CTRL_RX_QUEUE_MASK);
}

static uint32_t cmd_steer_rx(struct nic_fw *fw, const struct cmd *c) {
  if (!cmd_clean(c, F_ARG0)) return NIC_ADMIN_STATUS_BAD_RESERVED;
  if (c->arg0 >= fw->num_rxq) return NIC_ADMIN_STATUS_BAD_QUEUE;
  if (!queue_is_up(fw, 1, c->arg0)) return NIC_ADMIN_STATUS_QUEUE_ABSENT;
  return set_rx_queue(fw, c->arg0) ? NIC_ADMIN_STATUS_CARD_ERROR : NIC_ADMIN_STATUS_OK;
}

/* ---- Records written to host memory ----------------------------------------------------- */

static struct answer cmd_identify(struct nic_fw *fw, const struct cmd *c) {
  struct answer a = {NIC_ADMIN_STATUS_OK, 0};
  uint8_t r[NIC_ADMIN_IDENTIFY_BYTES];
  if (!cmd_clean(c, F_ADDR0 | F_LEN)) {
    a.status = NIC_ADMIN_STATUS_BAD_RESERVED;
    return a;
  }
  if (c->len < NIC_ADMIN_IDENTIFY_BYTES) {
    a.status = NIC_ADMIN_STATUS_BAD_VALUE;
    return a;
  }
  fw_zero(r, sizeof r);
  NIC_SET(r, ADMIN_IDENTIFY, FW_VERSION,
          ((uint32_t)NIC_FW_VERSION_MAJOR << 16) | NIC_FW_VERSION_MINOR);
  NIC_SET(r, ADMIN_IDENTIFY, CARD_ID, fw->card_id);
  NIC_SET(r, ADMIN_IDENTIFY, OFFLOADS, fw->caps);
  NIC_SET(r, ADMIN_IDENTIFY, OFFLOADS_ON, fw->offloads_on);
  NIC_SET(r, ADMIN_IDENTIFY, NUM_TXQ, fw->num_txq);
  NIC_SET(r, ADMIN_IDENTIFY, NUM_RXQ, fw->num_rxq);
  NIC_SET(r, ADMIN_IDENTIFY, TX_MAX_DESCS, fw->tx_max_descs);
  NIC_SET(r, ADMIN_IDENTIFY, RX_MAX_BUFS, fw->rx_max_bufs);
  NIC_SET(r, ADMIN_IDENTIFY, MTU_MIN, FW_MTU_MIN);
  NIC_SET(r, ADMIN_IDENTIFY, MTU_MAX, mtu_max(fw));
  NIC_SET(r, ADMIN_IDENTIFY, MTU, fw->mtu);
  NIC_SET(r, ADMIN_IDENTIFY, MAX_FRAME, fw->max_frame);
  NIC_SET(r, ADMIN_IDENTIFY, STREAM_WIDTH, fw->stream_width);
  NIC_SET(r, ADMIN_IDENTIFY, RING_LOG2_MIN, FW_RING_LOG2_MIN);
  NIC_SET(r, ADMIN_IDENTIFY, RING_LOG2_MAX, FW_RING_LOG2_MAX);
  NIC_SET(r, ADMIN_IDENTIFY, QUEUES_UP, queues_up(fw));
  if (fw->hal.dma_write(fw->hal.ctx, c->addr0, r, sizeof r)) {
    a.status = NIC_ADMIN_STATUS_DMA_ERROR;
    return a;
  }
  a.result = sizeof r;
  return a;
}

/* One counter of admin_stats: a 32-bit register, or a 64-bit pair whose low word is read
 * first (that read latches the high word). */
struct stat_src {
  uint16_t lsb;  /* in admin_stats */
  uint8_t width; /* 32 or 64 */
  uint8_t where; /* STAT_CARD: absolute offset; STAT_TXQ/RXQ: offset in the queue's block */
  uint32_t off;
};

enum { STAT_CARD, STAT_TXQ, STAT_RXQ };

#define STAT(field, where, off) \
  { NIC_ADMIN_STATS_##field##_LSB, NIC_ADMIN_STATS_##field##_WIDTH, where, off }

static const struct stat_src kStats[] = {
    STAT(CSUM_TX_FRAMES, STAT_CARD, NIC_CSUM_BASE + NIC_CSUM_TX_FRAMES),
    STAT(CSUM_TX_ERRORS, STAT_CARD, NIC_CSUM_BASE + NIC_CSUM_TX_ERRORS),
    STAT(CSUM_RX_FRAMES, STAT_CARD, NIC_CSUM_BASE + NIC_CSUM_RX_FRAMES),
    STAT(CSUM_RX_L3_BAD, STAT_CARD, NIC_CSUM_BASE + NIC_CSUM_RX_L3_BAD),
    STAT(CSUM_RX_L4_BAD, STAT_CARD, NIC_CSUM_BASE + NIC_CSUM_RX_L4_BAD),
    STAT(TSO_REQUESTS, STAT_CARD, NIC_TSO_BASE + NIC_TSO_REQUESTS),
    STAT(TSO_SEGMENTS, STAT_CARD, NIC_TSO_BASE + NIC_TSO_SEGMENTS),
    STAT(TSO_ERRORS, STAT_CARD, NIC_TSO_BASE + NIC_TSO_ERRORS),
    STAT(PORT_TX_FRAMES, STAT_CARD, NIC_PORT_BASE + NIC_PORT_TX_FRAMES),
    STAT(PORT_RX_FRAMES, STAT_CARD, NIC_PORT_BASE + NIC_PORT_RX_FRAMES),
    STAT(PORT_TX_BYTES, STAT_CARD, NIC_PORT_BASE + NIC_PORT_TX_BYTES_LO),
    STAT(PORT_RX_BYTES, STAT_CARD, NIC_PORT_BASE + NIC_PORT_RX_BYTES_LO),
    STAT(PORT_RX_DROP_NOBUF, STAT_CARD, NIC_PORT_BASE + NIC_PORT_RX_DROP_NOBUF),
    STAT(PORT_RX_DROP_BAD, STAT_CARD, NIC_PORT_BASE + NIC_PORT_RX_DROP_BAD),
    STAT(PORT_DMA_RD_ERR, STAT_CARD, NIC_PORT_BASE + NIC_PORT_DMA_RD_ERR),
    STAT(PORT_DMA_WR_ERR, STAT_CARD, NIC_PORT_BASE + NIC_PORT_DMA_WR_ERR),
    STAT(HOST_DENIED, STAT_CARD, NIC_CARD_BASE + NIC_CARD_HOST_DENIED),
    STAT(TXQ_PACKETS, STAT_TXQ, NIC_TXQ_PACKETS),
    STAT(TXQ_DROPS, STAT_TXQ, NIC_TXQ_DROPS),
    STAT(TXQ_ERRORS, STAT_TXQ, NIC_TXQ_ERRORS),
    STAT(TXQ_BYTES, STAT_TXQ, NIC_TXQ_BYTES_LO),
    STAT(RXQ_PACKETS, STAT_RXQ, NIC_RXQ_PACKETS),
    STAT(RXQ_DROPS, STAT_RXQ, NIC_RXQ_DROPS),
    STAT(RXQ_ERRORS, STAT_RXQ, NIC_RXQ_ERRORS),
    STAT(RXQ_BYTES, STAT_RXQ, NIC_RXQ_BYTES_LO),
};

/* The 64-bit counters' high words sit in the next register. */
_Static_assert(NIC_PORT_TX_BYTES_HI == NIC_PORT_TX_BYTES_LO + 4 &&
                   NIC_PORT_RX_BYTES_HI == NIC_PORT_RX_BYTES_LO + 4 &&
                   NIC_TXQ_BYTES_HI == NIC_TXQ_BYTES_LO + 4 &&
                   NIC_RXQ_BYTES_HI == NIC_RXQ_BYTES_LO + 4,
               "a 64-bit counter's high word is not the register after its low word");

static int clear_counters(struct nic_fw *fw) {
  if (csr_wr(fw, NIC_CSUM_BASE + NIC_CSUM_ERR_CLEAR, NIC_CSUM_ERR_CLEAR_COUNTERS_MASK) ||
      csr_wr(fw, NIC_TSO_BASE + NIC_TSO_CLEAR, NIC_TSO_CLEAR_COUNTERS_MASK) ||
      csr_wr(fw, NIC_PORT_BASE + NIC_PORT_CLEAR, NIC_PORT_CLEAR_COUNTERS_MASK))
    return -1;
  return 0;
}

static struct answer cmd_read_stats(struct nic_fw *fw, const struct cmd *c) {
  struct answer a = {NIC_ADMIN_STATUS_OK, 0};
  uint8_t r[NIC_ADMIN_STATS_BYTES];
  size_t i;
  if (!cmd_clean(c, F_QUEUE | F_ADDR0 | F_ARG0 | F_ARG1 | F_LEN)) {
    a.status = NIC_ADMIN_STATUS_BAD_RESERVED;
    return a;
  }
  if (c->queue >= fw->num_txq || c->arg0 >= fw->num_rxq) {
    a.status = NIC_ADMIN_STATUS_BAD_QUEUE;
    return a;
  }
  if (c->len < NIC_ADMIN_STATS_BYTES || (c->arg1 & ~1u)) {
    a.status = NIC_ADMIN_STATUS_BAD_VALUE;
    return a;
  }
  fw_zero(r, sizeof r);
  for (i = 0; i < sizeof kStats / sizeof kStats[0]; ++i) {
    const struct stat_src *s = &kStats[i];
    uint32_t off = s->off, lo, hi = 0;
    if (s->where == STAT_TXQ) off += queue_base(0, c->queue);
    if (s->where == STAT_RXQ) off += queue_base(1, c->arg0);
    if (csr_rd(fw, off, &lo) || (s->width == 64 && csr_rd(fw, off + 4, &hi))) {
      a.status = NIC_ADMIN_STATUS_CARD_ERROR; /* reads change nothing: nothing to undo */
      return a;
    }
    nic_set_bits(r, s->lsb, s->width, ((uint64_t)hi << 32) | lo);
  }
  if (fw->hal.dma_write(fw->hal.ctx, c->addr0, r, sizeof r)) {
    a.status = NIC_ADMIN_STATUS_DMA_ERROR; /* and the counters stay as they are */
    return a;
  }
  a.result = sizeof r;
  /* The host has its copy: now the counters may go.  A failed clear cannot be undone. */
  if ((c->arg1 & 1u) && clear_counters(fw)) a.status = NIC_ADMIN_STATUS_CARD_ERROR;
  return a;
}

/* ---- Reset -------------------------------------------------------------------------------- */

static uint32_t cmd_reset(struct nic_fw *fw, const struct cmd *c) {
  uint32_t st = NIC_ADMIN_STATUS_OK, q;
  int rx;
  if (!cmd_clean(c, 0)) return NIC_ADMIN_STATUS_BAD_RESERVED;
  /* Everything is tried; the first problem is the answer. */
  for (rx = 0; rx < 2; ++rx) {
    const uint32_t num = rx ? fw->num_rxq : fw->num_txq;
    for (q = 0; q < num; ++q) {
      if (queue_is_up(fw, rx, q)) {
        const uint32_t s = queue_stop(fw, rx, q);
        if (st == NIC_ADMIN_STATUS_OK) st = s;
      }
    }
  }
  if (set_offloads(fw, fw->caps) || set_mtu(fw, FW_MTU_DEFAULT) || set_rx_queue(fw, 0) ||
      clear_counters(fw)) {
    if (st == NIC_ADMIN_STATUS_OK) st = NIC_ADMIN_STATUS_CARD_ERROR;
  }
  return st;
}

static struct answer run(struct nic_fw *fw, const struct cmd *c) {
  struct answer a = {NIC_ADMIN_STATUS_OK, 0};
  switch (c->opcode) {
    case NIC_ADMIN_OP_IDENTIFY:
      return cmd_identify(fw, c);
    case NIC_ADMIN_OP_CREATE_TXQ:
      a.status = cmd_create(fw, c, 0);
      break;
    case NIC_ADMIN_OP_CREATE_RXQ:
      a.status = cmd_create(fw, c, 1);
      break;
    case NIC_ADMIN_OP_DESTROY_TXQ:
      a.status = cmd_destroy(fw, c, 0);
      break;
    case NIC_ADMIN_OP_DESTROY_RXQ:
      a.status = cmd_destroy(fw, c, 1);
      break;
    case NIC_ADMIN_OP_CHANGE_MTU:
      a.status = cmd_change_mtu(fw, c);
      break;
    case NIC_ADMIN_OP_CHANGE_OFFLOADS:
      a.status = cmd_change_offloads(fw, c);
      break;
    case NIC_ADMIN_OP_READ_STATS:
      return cmd_read_stats(fw, c);
    case NIC_ADMIN_OP_RESET:
      a.status = cmd_reset(fw, c);
      break;
    case NIC_ADMIN_OP_STEER_RX:
      a.status = cmd_steer_rx(fw, c);
      break;
    default:
      a.status = NIC_ADMIN_STATUS_BAD_OPCODE;
      break;
  }
  return a;
}

/* ---- The admin queue ---------------------------------------------------------------------- */

/* Stops serving with status.err set, until the host writes ctrl.enable = 0. */
static void aq_fail(struct nic_fw *fw) {
  fw->aq_err = 1;
  (void)csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_STATUS, NIC_ADMIN_STATUS_ERR_MASK);
}

static void aq_start(struct nic_fw *fw) {
  uint32_t sq_lo, sq_hi, cq_lo, cq_hi, size, log2;
  fw->aq_enabled = 1;
  fw->aq_err = 0;
  if (csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_SQ_LO, &sq_lo) ||
      csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_SQ_HI, &sq_hi) ||
      csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_CQ_LO, &cq_lo) ||
      csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_CQ_HI, &cq_hi) ||
      csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_RING_SIZE, &size)) {
    aq_fail(fw);
    return;
  }
  log2 = field(size, NIC_ADMIN_RING_SIZE_LOG2_MASK, NIC_ADMIN_RING_SIZE_LOG2_SHIFT);
  fw->aq_sq = ((uint64_t)sq_hi << 32) | sq_lo;
  fw->aq_cq = ((uint64_t)cq_hi << 32) | cq_lo;
  if (log2 < FW_AQ_LOG2_MIN || log2 > FW_AQ_LOG2_MAX || !ring_addr_ok(fw->aq_sq) ||
      !ring_addr_ok(fw->aq_cq)) {
    aq_fail(fw);
    return;
  }
  fw->aq_mask = (1u << log2) - 1;
  fw->aq_head = 0;
  fw->aq_cq_tail = 0;
  fw->aq_phase = 1;
  if (csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_CONS, 0) ||
      csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_STATUS, NIC_ADMIN_STATUS_ENABLED_MASK))
    aq_fail(fw);
}

static void aq_stop(struct nic_fw *fw) {
  fw->aq_enabled = 0;
  fw->aq_err = 0;
  (void)csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_CONS, 0);
  (void)csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_STATUS, 0);
}

/* Takes, runs and completes the entry at aq_head.  Returns 0; -1 when the rings failed before
 * the command completed; 1 when it completed but cons could not be written. */
static int aq_serve_one(struct nic_fw *fw) {
  struct cmd c;
  struct answer a;
  uint8_t cpl[NIC_ADMIN_CPL_BYTES];
  const uint64_t sq = fw->aq_sq + (uint64_t)fw->aq_head * NIC_ADMIN_CMD_BYTES;
  const uint64_t cq = fw->aq_cq + (uint64_t)fw->aq_cq_tail * NIC_ADMIN_CPL_BYTES;
  const uint32_t head = (fw->aq_head + 1) & fw->aq_mask;

  if (fw->hal.dma_read(fw->hal.ctx, sq, c.raw, sizeof c.raw)) return -1;
  cmd_decode(&c);
  a = run(fw, &c);

  fw_zero(cpl, sizeof cpl);
  NIC_SET(cpl, ADMIN_CPL, TAG, c.tag);
  NIC_SET(cpl, ADMIN_CPL, STATUS, a.status);
  NIC_SET(cpl, ADMIN_CPL, OPCODE, c.opcode);
  NIC_SET(cpl, ADMIN_CPL, RESULT, a.result);
  NIC_SET(cpl, ADMIN_CPL, SQ_HEAD, head);
  NIC_SET(cpl, ADMIN_CPL, PHASE, fw->aq_phase);
  if (fw->hal.dma_write(fw->hal.ctx, cq, cpl, sizeof cpl)) return -1;

  fw->aq_head = head;
  fw->aq_cq_tail = (fw->aq_cq_tail + 1) & fw->aq_mask;
  if (fw->aq_cq_tail == 0) fw->aq_phase ^= 1u;
  ++fw->commands;
  /* Completed; a failed cons write still stops the rings (the host would wait on it). */
  return csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_CONS, head) ? 1 : 0;
}

int nic_fw_init(struct nic_fw *fw, const struct nic_fw_hal *hal) {
  const uint32_t id_mask = NIC_CARD_ID_BLOCK_ID_MASK | NIC_CARD_ID_MAJOR_MASK;
  uint32_t id, caps, queues, txd, rxb, frame, width;
  fw_zero(fw, sizeof *fw);
  fw->hal = *hal;
  if (csr_rd(fw, NIC_CARD_BASE + NIC_CARD_ID, &id) ||
      (id & id_mask) != (NIC_CARD_ID_VALUE & id_mask))
    return -1;
  if (csr_rd(fw, NIC_CARD_BASE + NIC_CARD_CAPS, &caps) ||
      csr_rd(fw, NIC_CARD_BASE + NIC_CARD_QUEUES, &queues) ||
      csr_rd(fw, NIC_CARD_BASE + NIC_CARD_TX_MAX_DESCS, &txd) ||
      csr_rd(fw, NIC_CARD_BASE + NIC_CARD_RX_MAX_BUFS, &rxb) ||
      csr_rd(fw, NIC_CARD_BASE + NIC_CARD_MAX_FRAME, &frame) ||
      csr_rd(fw, NIC_CARD_BASE + NIC_CARD_STREAM_WIDTH, &width))
    return -1;
  fw->card_id = id;
  fw->caps = caps_to_offloads(caps);
  /* Segmentation without transmit checksums is nothing the firmware can offer. */
  if (!(fw->caps & NIC_ADMIN_OFFLOAD_TX_CSUM)) fw->caps &= ~(uint32_t)NIC_ADMIN_OFFLOAD_TSO;
  fw->num_txq = (uint16_t)field(queues, NIC_CARD_QUEUES_TX_MASK, NIC_CARD_QUEUES_TX_SHIFT);
  fw->num_rxq = (uint16_t)field(queues, NIC_CARD_QUEUES_RX_MASK, NIC_CARD_QUEUES_RX_SHIFT);
  /* Queues are the DMA engine's: a card without one has none to offer. */
  if (!(caps & NIC_CARD_CAPS_DMA_MASK)) fw->num_txq = fw->num_rxq = 0;
  if (fw->num_txq > NIC_FW_MAX_QUEUES) fw->num_txq = NIC_FW_MAX_QUEUES;
  if (fw->num_rxq > NIC_FW_MAX_QUEUES) fw->num_rxq = NIC_FW_MAX_QUEUES;
  fw->tx_max_descs = (uint16_t)(txd > 0xFFFFu ? 0xFFFFu : txd);
  fw->rx_max_bufs = (uint16_t)(rxb > 0xFFFFu ? 0xFFFFu : rxb);
  fw->max_frame = (uint16_t)(frame > 0xFFFFu ? 0xFFFFu : frame);
  fw->stream_width = (uint16_t)(width > 0xFFFFu ? 0xFFFFu : width);
  /* Every offload the card has, the MTU at its default, the admin queue not served. */
  if (set_offloads(fw, fw->caps) || set_mtu(fw, FW_MTU_DEFAULT) ||
      csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_CONS, 0) ||
      csr_wr(fw, NIC_ADMIN_BASE + NIC_ADMIN_STATUS, 0))
    return -1;
  return 0;
}

unsigned nic_fw_poll(struct nic_fw *fw) {
  uint32_t ctrl, prod, n;
  unsigned done = 0;
  int enable;
  if (csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_CTRL, &ctrl)) return 0;
  enable = (ctrl & NIC_ADMIN_CTRL_ENABLE_MASK) != 0;
  if (enable && !fw->aq_enabled) aq_start(fw);
  if (!enable && fw->aq_enabled) aq_stop(fw);
  if (!fw->aq_enabled || fw->aq_err) return 0;

  if (csr_rd(fw, NIC_ADMIN_BASE + NIC_ADMIN_PROD, &prod)) return 0;
  prod = field(prod, NIC_ADMIN_PROD_INDEX_MASK, NIC_ADMIN_PROD_INDEX_SHIFT);
  if (prod > fw->aq_mask) {
    aq_fail(fw);
    return 0;
  }
  /* At most one pass round the ring per poll: the caller gets control back in bounded time. */
  for (n = 0; n <= fw->aq_mask && fw->aq_head != prod; ++n) {
    const int r = aq_serve_one(fw);
    if (r >= 0) ++done;
    if (r) {
      aq_fail(fw);
      break;
    }
  }
  return done;
}
