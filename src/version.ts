/**
 * Program identity. The first line of `--version` must read `systemd 252`:
 * Salt, Ansible and Chef parse it.
 * @module
 */

/** Our program name. */
export const PROGRAM_NAME = "deno-systemctl";
/** Our program version. */
export const PROGRAM_VERSION = "0.1.0";
/** The systemd version we emulate. */
export const SYSTEMD_VERSION = 252;
/** The feature string printed by `--version`. */
export const FEATURES =
  "-PAM -AUDIT -SELINUX -APPARMOR -IMA -SMACK -SECCOMP -GCRYPT -GNUTLS -OPENSSL -ACL -BLKID " +
  "-CURL -ELFUTILS -FIDO2 -IDN2 -IDN -IPTC -KMOD -LIBCRYPTSETUP -LIBFDISK -PCRE2 -PWQUALITY " +
  "-P11KIT -QRENCODE -TPM2 -BZIP2 -LZ4 -XZ -ZLIB -ZSTD -BPF_FRAMEWORK -XKBCOMMON -UTMP " +
  "+SYSVINIT default-hierarchy=unified";

/** The `--version` text. */
export function versionText(): string {
  return `systemd ${SYSTEMD_VERSION} (${PROGRAM_NAME} ${PROGRAM_VERSION})\n${FEATURES}\n`;
}
