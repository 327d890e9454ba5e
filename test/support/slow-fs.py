#!/usr/bin/python3
"""A passthrough FUSE filesystem whose writes are slow: the "very slow NFS server" of the fault tests.

usage: slow-fs.py BACKING_DIR MOUNTPOINT DELAY_FILE
DELAY_FILE holds "MS [KIB_PER_S]" and is read at every operation, so a test can slow the archive down and
heal it without remounting: every create, fsync, rename and link sleeps MS milliseconds (a far server's
commit latency); writes are throttled to KIB_PER_S (its bandwidth).
"""
import errno
import os
import sys
import time

from fusepy import FUSE, FuseOSError, Operations


class SlowPassthrough(Operations):
    def __init__(self, root, delay_file):
        self.root = root
        self.delay_file = delay_file

    def _settings(self):
        try:
            with open(self.delay_file) as f:
                fields = f.read().split()
            return int(fields[0]) if fields else 0, int(fields[1]) if len(fields) > 1 else 0
        except (OSError, ValueError):
            return 0, 0

    def _delay(self):
        ms, _ = self._settings()
        if ms > 0:
            time.sleep(ms / 1000)

    def _throttle(self, size):
        _, kib_per_s = self._settings()
        if kib_per_s > 0:
            time.sleep(size / 1024 / kib_per_s)

    def _full(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        return {key: getattr(st, key) for key in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._full(path))

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def mkdir(self, path, mode):
        return os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._full(path))

    def unlink(self, path):
        return os.unlink(self._full(path))

    def rename(self, old, new):
        self._delay()
        return os.rename(self._full(old), self._full(new))

    def link(self, target, name):
        self._delay()
        return os.link(self._full(name), self._full(target))

    def utimens(self, path, times=None):
        return os.utime(self._full(path), times)

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {key: getattr(st, key) for key in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def open(self, path, flags):
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        self._delay()
        return os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)

    def read(self, path, size, offset, fh):
        os.lseek(fh, offset, os.SEEK_SET)
        return os.read(fh, size)

    def write(self, path, data, offset, fh):
        self._throttle(len(data))
        os.lseek(fh, offset, os.SEEK_SET)
        return os.write(fh, data)

    def truncate(self, path, length, fh=None):
        with open(self._full(path), 'r+') as f:
            f.truncate(length)

    def flush(self, path, fh):
        return os.fsync(fh)

    def release(self, path, fh):
        return os.close(fh)

    def fsync(self, path, datasync, fh):
        self._delay()
        return os.fsync(fh)

    def fsyncdir(self, path, datasync, fh):
        self._delay()
        return 0


if __name__ == '__main__':
    backing, mountpoint, delay_file = sys.argv[1:4]
    FUSE(SlowPassthrough(backing, delay_file), mountpoint, nothreads=False, foreground=True, allow_other=True, big_writes=True, max_write=1048576)
