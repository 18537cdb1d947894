/*
 * The firmware's HAL on the card's RISC-V management core (rv32imc): plain loads and stores.
 *
 * This is the path to a management core as the RTL will have it; the RTL does not have it yet,
 * so the addresses below are this file's proposal (override them with -D).
 *
 * CSR window, NIC_FW_RV32_CSR_BASE: the card's whole CSR map (hw/nic.toml, offsets 0x00000 to
 * 0x1FFFF) as seen from the management side, one 32-bit word per register.
 *
 * DMA and bus-error mailbox, NIC_FW_RV32_MBOX_BASE (all registers 32 bits):
 *   +0x00 ADDR_LO   host bus address, bits 31:0
 *   +0x04 ADDR_HI   host bus address, bits 63:32
 *   +0x08 LEN       bytes to move, 1 to NIC_FW_RV32_MBOX_BUF_BYTES
 *   +0x0C GO        write 1: read host memory into BUF; write 2: write BUF to host memory
 *   +0x10 STATUS    bit 0 busy (the transfer runs), bit 1 error (the host bus answered an
 *                   error; kept until the next GO)
 *   +0x14 CSR_ERR   bit 0: the last access through the CSR window was answered with an error
 *                   (SLVERR); reading clears it
 *   +0x100 BUF      NIC_FW_RV32_MBOX_BUF_BYTES bytes of data, word accesses
 * The engine goes through the card's DMA master with the same rights as the queues' traffic.
 */
#ifndef MBUFNIC_FW_RV32_MMIO_HAL_H_
#define MBUFNIC_FW_RV32_MMIO_HAL_H_

#include <mbufnic_fw/fw.h>

#ifndef NIC_FW_RV32_CSR_BASE
#define NIC_FW_RV32_CSR_BASE 0x40000000u
#endif
#ifndef NIC_FW_RV32_MBOX_BASE
#define NIC_FW_RV32_MBOX_BASE 0x40100000u
#endif

#define NIC_FW_RV32_MBOX_ADDR_LO 0x00u
#define NIC_FW_RV32_MBOX_ADDR_HI 0x04u
#define NIC_FW_RV32_MBOX_LEN 0x08u
#define NIC_FW_RV32_MBOX_GO 0x0Cu
#define NIC_FW_RV32_MBOX_GO_READ 1u
#define NIC_FW_RV32_MBOX_GO_WRITE 2u
#define NIC_FW_RV32_MBOX_STATUS 0x10u
#define NIC_FW_RV32_MBOX_STATUS_BUSY 1u
#define NIC_FW_RV32_MBOX_STATUS_ERROR 2u
#define NIC_FW_RV32_MBOX_CSR_ERR 0x14u
#define NIC_FW_RV32_MBOX_BUF 0x100u
#define NIC_FW_RV32_MBOX_BUF_BYTES 256u
/* Status reads a transfer may take before the HAL gives up and reports an error. */
#define NIC_FW_RV32_MBOX_POLLS 100000u

/* Fills hal with the MMIO callbacks (ctx unused). */
void nic_fw_rv32_hal(struct nic_fw_hal *hal);

#endif /* MBUFNIC_FW_RV32_MMIO_HAL_H_ */
