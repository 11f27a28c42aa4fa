/* TCP selective acknowledgment: the sender's scoreboard (RFC 2018, loss recovery by RFC 6675)
 * and the receiver's choice of SACK blocks (RFC 2018 section 4), as pure functions on plain
 * data: no simulation, no socket, no allocation, no failure. The TCP core feeds them the
 * parsed blocks and its sequence variables, and sends what they say.
 *
 * Sequence numbers. Every comparison is modulo 2^32 (wire/seq.h). A block or range is
 * [start, end): start is its first sequence number, end the one after its last, as on the
 * wire (RFC 2018 section 3: left edge, right edge).
 *
 * RFC 6675's variables in our terms. RFC 6675 numbers octets: HighACK is the highest octet
 * cumulatively acknowledged (our snd_una - 1), HighData the highest octet sent (snd_max - 1)
 * and HighRxt the highest octet retransmitted in this recovery. Here every bound is the TCP
 * one, "the sequence number after": high_rxt is HighRxt + 1, so that [snd_una, high_rxt) is
 * what this recovery has retransmitted, and it is snd_una when nothing is (RFC 6675 section 5
 * step (4) starts HighRxt at HighACK). "S > HighRxt" is S >= high_rxt and "S <= HighRxt" is
 * S < high_rxt.
 *
 * Bound. The scoreboard keeps at most VIV__TCP_SB_MAX ranges. When a new disjoint range
 * would be one too many, the highest range is forgotten (or the new one, when it would be the
 * highest). That only loses information: the forgotten bytes count as unSACKed, so pipe is
 * larger than it should be (the sender sends less), no hole below them is judged lost
 * because of them (fewer retransmissions), and they may be retransmitted once needlessly (by
 * the rescue rule or a timeout) if the receiver does not report them again. 128 ranges hold
 * every hole of a 256-segment flight with every other segment lost; with 32, the holes slow
 * start's overshoot leaves in the s3 path's 100-frame queue outnumbered the board, pipe stayed
 * above cwnd and recovery waited for the RTO (9.24 against 9.38 Mbit/s, one timeout in 50
 * MB). Every function costs in proportion to the number of ranges, never to the bytes in
 * flight. */
#ifndef VIV_L4_TCP_SACK_H
#define VIV_L4_TCP_SACK_H

#include <stdint.h>

#define VIV__TCP_SACK_BLOCKS_MAX 4 /* blocks in one option (3 beside timestamps) */
#define VIV__TCP_SB_MAX 128        /* ranges one scoreboard remembers */

/* A block or range of sequence numbers [start, end). */
typedef struct viv__sack_blk {
    uint32_t start, end;
} viv__sack_blk;

/* Sender scoreboard: the SACKed ranges above SND.UNA, sorted by sequence, disjoint and never
 * adjacent (touching ranges are merged), bounded. Embeddable in the TCB; all-zero (or
 * viv__tcp_sb_init) is the empty board. Read it only through the functions below. */
typedef struct viv__tcp_sb viv__tcp_sb;
struct viv__tcp_sb {
    uint32_t n;                       /* ranges in use, 0 .. VIV__TCP_SB_MAX */
    uint32_t sacked;                  /* bytes in all ranges */
    viv__sack_blk r[VIV__TCP_SB_MAX]; /* r[0 .. n): ascending, all within (snd_una, snd_max] */
};

/* An empty scoreboard. (Not viv__sb_init: core/core.h has that name for its string
 * builder, and the TCP core includes both headers.) */
void viv__tcp_sb_init(viv__tcp_sb *sb);
/* Forget everything: after a retransmission timeout (RFC 2018 section 8: the receiver may
 * have reneged), on RST, when SACK is turned off. */
void viv__sb_reset(viv__tcp_sb *sb);

/* RFC 6675 section 4 Update(): apply one ACK. snd_una is the sender's SND.UNA once the ACK's
 * cumulative acknowledgment is applied, snd_max the highest sequence number sent plus one;
 * blk[0 .. n) are the segment's SACK blocks in host order, as received. Call it for every
 * acceptable ACK, with n = 0 when the segment has no SACK option, so that ranges at or below
 * a new snd_una are dropped (and one straddling it is cut there).
 *
 * Blocks are checked one by one; one that fails is ignored (counted nowhere, nothing else
 * changes): start < end (modulo 2^32: a reversed block, or one of 2^31 bytes or more, fails),
 * end <= snd_max (data never sent cannot be SACKed), end > snd_una (a block wholly
 * acknowledged says nothing; a later block straddling snd_una is cut to start there). The
 * first block is a D-SACK (RFC 2883 section 4) when its start is below snd_una or it lies
 * within the second block; it reports a duplicate, not new data, and is ignored.
 *
 * Returns the bytes newly SACKed by this ACK: the bytes the accepted blocks added to the
 * board, each counted when applied (a block the board already covered adds nothing). Bytes
 * forgotten because of the bound count again if they are reported again. */
uint32_t viv__sb_update(viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
                        const viv__sack_blk *blk, unsigned n);

/* SACKed bytes above snd_una (as of the last viv__sb_update). */
uint32_t viv__sb_sacked_bytes(const viv__tcp_sb *sb);
/* 1 if the octet with sequence number seq is SACKed, else 0. */
int viv__sb_is_sacked(const viv__tcp_sb *sb, uint32_t seq);
/* 1 and *end_out = the end of the highest SACKed range if anything is SACKed (RFC 6675
 * rule (1.b)'s "highest octet covered by any received SACK" is *end_out - 1), else 0. */
int viv__sb_highest_sacked(const viv__tcp_sb *sb, uint32_t *end_out);

/* RFC 6675 section 4 IsLost(seq): 1 if the unSACKed octet seq is deemed lost: either
 * "DupThresh discontiguous SACKed sequences have arrived above" it, or "more than
 * (DupThresh - 1) * SMSS bytes" above it are SACKed; else 0. The board keeps bytes, not
 * segment boundaries: the discontiguous SACKed sequences are its ranges above seq (several
 * contiguous SACKed segments form one range, and are counted by the byte rule). A SACKed seq
 * is not lost (0). dupthresh 0 counts as 1. */
int viv__sb_is_lost(const viv__tcp_sb *sb, uint32_t seq, uint32_t smss, unsigned dupthresh);

/* RFC 6675 section 4 SetPipe(): the octets in flight. For each unSACKed octet S1 in
 * [snd_una, snd_max): one if !IsLost(S1), plus one if S1 < high_rxt (it was retransmitted;
 * an octet retransmitted but not deemed lost counts twice, as the RFC says). high_rxt is
 * clamped to [snd_una, snd_max]. IsLost is the same for every octet of one hole between
 * SACKed ranges, so this is computed per hole, exactly as the per-octet definition. */
uint32_t viv__sb_pipe(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t high_rxt,
                      uint32_t smss, unsigned dupthresh);

/* RFC 6675 section 4 NextSeg(), rules (1) to (3), assuming new data can be sent: as
 * viv__sb_next_seg_ex with new_avail = UINT32_MAX. Returns 0 with a retransmission by rule
 * (1) in [*seq, *seq + *len), or 1 with *seq = snd_max and *len = smss for rule (2): the
 * caller sends new data itself. A caller that cannot send new data now (nothing queued, or
 * the peer's window is full) asks viv__sb_next_seg_ex with new_avail = 0 to get rule (3).
 * Returns -1 only for nonsense arguments (smss 0, snd_max before snd_una). */
int viv__sb_next_seg(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t high_rxt,
                     uint32_t smss, unsigned dupthresh, uint32_t *seq, uint32_t *len);

/* RFC 6675 section 4 NextSeg(), rules (1) to (3) in order; rule (4), the rescue
 * retransmission, is the caller's (viv__sb_rescue_seg finds its segment).
 *  (1) the lowest unSACKed S2 >= high_rxt, below the highest SACKed octet, with
 *      IsLost(S2): returns 0, *seq = S2, *len = up to smss, not crossing a SACKed range;
 *  (2) else, if new_avail > 0 (the bytes of unsent data the caller may send now: queued and
 *      within the peer's window): returns 1, *seq = snd_max, *len = min(smss, new_avail);
 *  (3) else the lowest unSACKed S3 >= high_rxt below the highest SACKed octet, lost or not:
 *      returns 0, *seq = S3, *len as in (1);
 * else returns -1 and leaves *seq and *len alone. */
int viv__sb_next_seg_ex(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
                        uint32_t high_rxt, uint32_t smss, unsigned dupthresh, uint32_t new_avail,
                        uint32_t *seq, uint32_t *len);

/* The segment of RFC 6675 rule (4), the rescue retransmission: up to smss octets ending with
 * the highest unSACKed octet in [snd_una, snd_max) and not crossing a SACKed range. Returns
 * 0 with [*seq, *seq + *len), or -1 if every octet is SACKed (or nothing is outstanding).
 * Whether a rescue is due (HighACK > RescueRxt, once per recovery) is the caller's. */
int viv__sb_rescue_seg(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t smss,
                       uint32_t *seq, uint32_t *len);

/* Receiver: the SACK blocks to send (RFC 2018 section 4). ranges[0 .. nranges) are the
 * out-of-order ranges held above rcv_nxt, sorted ascending (ranges that are empty, reversed
 * or not above rcv_nxt are skipped). recent is the [start, end) of the segment that triggered
 * this ACK, or NULL. out gets, at most max blocks:
 *  - first, the range holding recent ("the first SACK block MUST specify the contiguous block
 *    of data containing the segment which triggered this ACK"), unless recent is NULL, holds
 *    nothing above rcv_nxt (it advanced the acknowledgment) or lies in no range;
 *  - then the other ranges, highest first. RFC 2018 asks for the most recently reported
 *    blocks first; without a memory of earlier options, the highest ranges are the most
 *    recent ones when data is sent in order, and this gives RFC 2018 section 7's example.
 *    viv__sack_build_hist remembers.
 * Returns the count written. */
unsigned viv__sack_build(viv__sack_blk *out, unsigned max, const viv__sack_blk *ranges,
                         unsigned nranges, uint32_t rcv_nxt, const viv__sack_blk *recent);

/* What a receiver remembers of the SACK option it sent last (for viv__sack_build_hist).
 * All-zero is empty. */
typedef struct viv__sack_hist {
    uint32_t n;
    viv__sack_blk blk[VIV__TCP_SACK_BLOCKS_MAX];
} viv__sack_hist;

/* As viv__sack_build, with RFC 2018 section 4's full order after the first block: "repeating
 * the most recently reported SACK blocks ... that are not subsets of a SACK block already
 * included": the blocks of the last option sent (hist, most recent first), each as the range
 * now holding it, then any other ranges highest first. hist then becomes this option (max
 * is capped at VIV__TCP_SACK_BLOCKS_MAX). Returns the count written. */
unsigned viv__sack_build_hist(viv__sack_blk *out, unsigned max, const viv__sack_blk *ranges,
                              unsigned nranges, uint32_t rcv_nxt, const viv__sack_blk *recent,
                              viv__sack_hist *hist);

#endif
