/*
 * osbkit-contain: the privileged steps of building and entering an app container that a shell
 * cannot do safely.
 *
 *   osbkit-contain mount ROOT SOURCE CONTAINER_DIR r|rw
 *       Bind SOURCE onto ROOT/CONTAINER_DIR. Every component of CONTAINER_DIR is opened
 *       relative to the one before it with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and
 *       missing ones are created with mkdirat on the parent's descriptor, so a symlink planted by
 *       another app that shares a volume (now or at any moment in between) makes the mount fail
 *       instead of redirecting it. The bind is a detached clone (open_tree), flagged nosuid,nodev
 *       (and read-only for r) before it is attached to the held descriptor with move_mount: there
 *       is no moment where the target is looked up by path again.
 *
 *   osbkit-contain run ROOT UID GID ROOT_HOST_UID [NETNS_PATH|-] WORKDIR ENV_FILE -- PROGRAM [ARG...]
 *       Becomes the container: pivot_root into ROOT and detach the host's tree, join the app's
 *       network namespace, then start PROGRAM in a new user namespace where uid/gid 0 map to
 *       ROOT_HOST_UID on the host and 1..65535 map to themselves, as UID/GID, with no
 *       capabilities, no_new_privs, no inherited descriptors beyond 0-2, and no right to make
 *       user namespaces of its own. PROGRAM gets exactly the environment in ENV_FILE
 *       (NAME=value entries, each ended by a NUL byte), read before the pivot. The app's
 *       variables never reach this helper's own environment: a dynamically linked program
 *       started as root honours LD_PRELOAD, LD_AUDIT and GLIBC_TUNABLES before main() runs. This process stays as PID 1 of the pid namespace, keeping
 *       only CAP_KILL: it forwards TERM, INT, HUP, QUIT, USR1 and USR2 to the app's process
 *       group, reaps orphans, and exits with the app's status (128 + signal when killed).
 *
 *   osbkit-contain probe
 *       Exits 0 when this kernel lets root create user and network namespaces; otherwise says why.
 *
 * It is run by the cell's set-up script as PID 1 of a fresh mount and pid namespace
 * (unshare --mount --pid --fork --propagation private), never by an app.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif

/* Ids 1..IDENTITY_RANGE-1 keep their number inside the user namespace, as in Garden's containers. */
#define IDENTITY_RANGE 65536u

static const char *program_name = "osbkit-contain";

static void die(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", program_name, what, strerror(errno));
  exit(111);
}

static void fail(const char *message) {
  fprintf(stderr, "%s: %s\n", program_name, message);
  exit(111);
}

static int openat2_beneath(int dirfd, const char *name) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
}

/* The directory ROOT/CONTAINER_DIR, created as needed, reached without following any symlink. */
static int open_target(const char *root, const char *container_dir) {
  if (container_dir[0] != '/') fail("the container directory must be absolute");
  int current = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (current < 0) die("cannot open the container root");
  char *copy = strdup(container_dir);
  if (copy == NULL) die("out of memory");
  char *saveptr = NULL;
  int depth = 0;
  for (char *name = strtok_r(copy, "/", &saveptr); name != NULL; name = strtok_r(NULL, "/", &saveptr)) {
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) fail("the container directory must not contain . or .. components");
    int next = openat2_beneath(current, name);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(current, name, 0755) < 0 && errno != EEXIST) die("cannot create a directory of the mount target");
      next = openat2_beneath(current, name);
    }
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        struct stat entry;
        int is_link = fstatat(current, name, &entry, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(entry.st_mode);
        fprintf(stderr, "%s: refusing to mount on %s: \"%s\" is %s\n", program_name, container_dir, name, is_link ? "a symbolic link" : "not a directory");
        exit(112);
      }
      die("cannot open a directory of the mount target");
    }
    close(current);
    current = next;
    depth++;
  }
  free(copy);
  if (depth == 0) fail("refusing to mount over the container root");
  return current;
}

static int command_mount(int argc, char **argv) {
  if (argc != 6) fail("usage: mount ROOT SOURCE CONTAINER_DIR r|rw");
  const char *root = argv[2];
  const char *source = argv[3];
  const char *container_dir = argv[4];
  const char *mode = argv[5];
  int read_only;
  if (strcmp(mode, "r") == 0) read_only = 1;
  else if (strcmp(mode, "rw") == 0) read_only = 0;
  else fail("the mode must be r or rw");

  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) die("cannot clone the volume's host path");
  struct stat source_stat;
  if (fstat(tree, &source_stat) < 0) die("cannot stat the volume's host path");
  if (!S_ISDIR(source_stat.st_mode)) fail("the volume's host path is not a directory");

  struct mount_attr attributes;
  memset(&attributes, 0, sizeof attributes);
  attributes.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attributes, sizeof attributes) < 0) die("cannot set the volume's mount flags");

  int target = open_target(root, container_dir);
  if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die("cannot attach the volume");
  return 0;
}

static unsigned long parse_id(const char *text, const char *what, unsigned long max) {
  char *end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value > max) {
    fprintf(stderr, "%s: invalid %s \"%s\"\n", program_name, what, text);
    exit(111);
  }
  return value;
}

static void write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  size_t length = strlen(content);
  if (write(fd, content, length) != (ssize_t)length) die(path);
  close(fd);
}

static void write_id_maps(pid_t child, unsigned long root_host_id) {
  char path[64];
  char map[128];
  snprintf(map, sizeof map, "0 %lu 1\n1 1 %u\n", root_host_id, IDENTITY_RANGE - 1);
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
  write_file(path, map);
}

static int last_capability(void) {
  int value = CAP_LAST_CAP;
  FILE *file = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (file != NULL) {
    if (fscanf(file, "%d", &value) != 1) value = CAP_LAST_CAP;
    fclose(file);
  }
  return value;
}

/* Removes every capability but `keep` (none when keep < 0) from the bounding and ambient sets. */
static void drop_bounding_and_ambient(int keep) {
  int last = last_capability();
  for (int capability = 0; capability <= last; capability++) {
    if (capability == keep) continue;
    if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) < 0 && errno != EINVAL) die("cannot drop a capability from the bounding set");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die("cannot clear ambient capabilities");
}

/* Leaves only `keep` (nothing when keep < 0) effective and permitted, none inheritable, and sets no_new_privs. */
static void keep_only_capability(int keep) {
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (keep >= 0) {
    data[keep / 32].effective = 1u << (keep % 32);
    data[keep / 32].permitted = 1u << (keep % 32);
  }
  if (syscall(SYS_capset, &header, data) < 0) die("cannot set capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("cannot set no_new_privs");
}

static void enter_root(const char *root) {
  if (chdir(root) < 0) die("cannot enter the container root");
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no path back to the host. */
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root failed");
  if (syscall(SYS_umount2, ".", MNT_DETACH) < 0) die("cannot detach the host's root");
  if (chdir("/") < 0) die("cannot enter /");
}

static void read_byte(int fd, const char *what) {
  char byte;
  ssize_t got;
  do got = read(fd, &byte, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1) fail(what);
}

static void write_byte(int fd) {
  char byte = 1;
  if (write(fd, &byte, 1) != 1) die("cannot signal the other side");
}

/* Larger than any environment the cell writes (the kernel's own limit for argv and envp together is about 2 MiB). */
#define ENV_FILE_LIMIT (2 * 1024 * 1024)

/* The app's environment: NAME=value entries ended by NUL bytes, as the cell writes them. */
static char **read_env_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) die("cannot open the app's environment file");
  char *text = malloc(ENV_FILE_LIMIT + 1);
  if (text == NULL) fail("out of memory");
  size_t length = 0;
  for (;;) {
    ssize_t got = read(fd, text + length, ENV_FILE_LIMIT + 1 - length);
    if (got < 0) die("cannot read the app's environment file");
    if (got == 0) break;
    length += (size_t)got;
    if (length > ENV_FILE_LIMIT) fail("the app's environment file is too large");
  }
  close(fd);
  if (length > 0 && text[length - 1] != '\0') fail("the app's environment file does not end with a NUL byte");
  size_t count = 0;
  for (size_t i = 0; i < length; i++) if (text[i] == '\0') count++;
  char **environment = calloc(count + 1, sizeof *environment);
  if (environment == NULL) fail("out of memory");
  size_t at = 0;
  for (size_t n = 0; n < count; n++) {
    char *entry = text + at;
    char *equals = strchr(entry, '=');
    if (equals == NULL || equals == entry) fail("the app's environment file has an entry that is not NAME=value");
    environment[n] = entry;
    at += strlen(entry) + 1;
  }
  environment[count] = NULL;
  return environment;
}

/* The app's side: a user namespace of its own, then the app's ids, no capabilities, and exec. */
static void become_app(int to_parent, int from_parent, unsigned long uid, unsigned long gid, const char *workdir, char **command, char **environment) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setsid() < 0) die("setsid failed");
  if (unshare(CLONE_NEWUSER) < 0) die("the kernel refused a user namespace");
  write_byte(to_parent);
  read_byte(from_parent, "the container init did not map the user namespace");
  close(to_parent);
  close(from_parent);
  /* No user namespaces below this one: inside one, an app would hold every capability again and
     reach the kernel code (nf_tables, mounts) that most container escapes go through. This needs
     the capabilities the new namespace gave us, so it comes before they are dropped. */
  int limit = open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
  if (limit < 0 || write(limit, "0", 1) != 1) die("cannot forbid nested user namespaces");
  close(limit);
  if (setgroups(0, NULL) < 0) die("cannot clear supplementary groups");
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0) die("cannot set the app's gid");
  /* The bounding set goes first (that needs CAP_SETPCAP); the uid change then empties the other sets. */
  drop_bounding_and_ambient(-1);
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) die("cannot set the app's uid");
  keep_only_capability(-1);
  /* The death signal is cleared by the uid change, so it is armed after it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die("cannot set the parent death signal");
  if (getppid() != 1) exit(111);
  if (chdir(workdir) < 0) die("cannot enter the working directory");
  /* Nothing of the cell's reaches the app but its standard streams. */
  if (close_range(3, ~0U, 0) < 0) die("cannot close inherited descriptors");
  execvpe(command[0], command, environment);
  die("cannot execute the app's command");
}

static int exit_status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 111;
}

static int command_run(int argc, char **argv) {
  if (argc < 11 || strcmp(argv[9], "--") != 0) fail("usage: run ROOT UID GID ROOT_HOST_UID NETNS|- WORKDIR ENV_FILE -- PROGRAM [ARG...]");
  const char *root = argv[2];
  unsigned long uid = parse_id(argv[3], "uid", IDENTITY_RANGE - 1);
  unsigned long gid = parse_id(argv[4], "gid", IDENTITY_RANGE - 1);
  unsigned long root_host_id = parse_id(argv[5], "host uid for root", 4294967294ul);
  const char *netns = argv[6];
  const char *workdir = argv[7];
  char **environment = read_env_file(argv[8]);
  char **command = &argv[10];
  if (uid == 0 || gid == 0) fail("the app never runs as root");
  if (root_host_id < IDENTITY_RANGE) fail("the host uid for the container's root must lie outside the identity-mapped range");

  /* Signals are taken from a signalfd, so they stay blocked: /proc shows a blocked signal, and a pid 1 keeps it. */
  sigset_t forwarded;
  sigemptyset(&forwarded);
  int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD };
  for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) sigaddset(&forwarded, forwarded_signals[i]);
  if (sigprocmask(SIG_BLOCK, &forwarded, NULL) < 0) die("cannot block signals");
  int signals = signalfd(-1, &forwarded, SFD_CLOEXEC);
  if (signals < 0) die("signalfd failed");

  int network = -1;
  if (strcmp(netns, "-") != 0) {
    network = open(netns, O_RDONLY | O_CLOEXEC);
    if (network < 0) die("cannot open the app's network namespace");
  }
  enter_root(root);
  if (network >= 0) {
    if (setns(network, CLONE_NEWNET) < 0) die("cannot join the app's network namespace");
    close(network);
  }

  int child_ready[2];
  int parent_ready[2];
  if (pipe2(child_ready, O_CLOEXEC) < 0 || pipe2(parent_ready, O_CLOEXEC) < 0) die("pipe failed");
  pid_t app = fork();
  if (app < 0) die("fork failed");
  if (app == 0) {
    close(signals);
    close(child_ready[0]);
    close(parent_ready[1]);
    become_app(child_ready[1], parent_ready[0], uid, gid, workdir, command, environment);
  }
  close(child_ready[1]);
  close(parent_ready[0]);
  read_byte(child_ready[0], "the app process could not create its user namespace");
  write_id_maps(app, root_host_id);
  write_byte(parent_ready[1]);
  close(child_ready[0]);
  close(parent_ready[1]);
  /* From here on this init only signals and reaps. */
  drop_bounding_and_ambient(CAP_KILL);
  keep_only_capability(CAP_KILL);

  for (;;) {
    struct signalfd_siginfo info;
    ssize_t got = read(signals, &info, sizeof info);
    if (got < 0 && errno == EINTR) continue;
    if (got != (ssize_t)sizeof info) die("cannot read a signal");
    if (info.ssi_signo != SIGCHLD) {
      if (kill(-app, (int)info.ssi_signo) < 0 && errno == ESRCH) kill(app, (int)info.ssi_signo);
      continue;
    }
    for (;;) {
      int status;
      pid_t reaped = waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped == app) return exit_status_of(status);
    }
  }
}

static int command_probe(void) {
  pid_t child = fork();
  if (child < 0) die("fork failed");
  if (child == 0) {
    if (unshare(CLONE_NEWUSER) < 0) {
      fprintf(stderr, "%s: the kernel refuses user namespaces (%s); check user.max_user_namespaces\n", program_name, strerror(errno));
      _exit(1);
    }
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) < 0) die("waitpid failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) fail("usage: mount|run|probe ...");
  if (strcmp(argv[1], "mount") == 0) return command_mount(argc, argv);
  if (strcmp(argv[1], "run") == 0) return command_run(argc, argv);
  if (strcmp(argv[1], "probe") == 0) return command_probe();
  fail("unknown command; use mount, run or probe");
  return 111;
}
