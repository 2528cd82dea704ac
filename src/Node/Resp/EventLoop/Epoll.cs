using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// Linux's epoll and eventfd, through libc. An event is written and read in a byte buffer because its layout differs by
/// architecture: <c>struct epoll_event</c> is packed on x86-64 (12 bytes: events, then data at offset 4) and naturally
/// aligned elsewhere (16 bytes: data at offset 8).
/// </summary>
internal static class Epoll
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;

    private const int CtlAdd = 1;
    private const int CtlDelete = 2;
    private const int CtlModify = 3;
    private const int CloseOnExec = 0x80000;
    private const int EventFdNonBlocking = 0x800;
    private const int Interrupted = 4;

    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int s_dataOffset = EventSize == 12 ? 4 : 8;

    public static int Create()
    {
        var fd = EpollCreate1(CloseOnExec);
        if (fd < 0)
            throw new IOException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    /// <summary>A non-blocking eventfd: written to wake the loop's epoll_wait.</summary>
    public static int CreateEventFd()
    {
        var fd = EventFd(0, CloseOnExec | EventFdNonBlocking);
        if (fd < 0)
            throw new IOException($"eventfd failed (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    public static void Add(int epoll, int fd, uint events, ulong data) => Control(epoll, CtlAdd, fd, events, data);

    public static void Modify(int epoll, int fd, uint events, ulong data) => Control(epoll, CtlModify, fd, events, data);

    /// <summary>Removes a descriptor; false when it was not there (closed already).</summary>
    public static bool Delete(int epoll, int fd)
    {
        var ev = new byte[16];
        return EpollCtl(epoll, CtlDelete, fd, ev) == 0;
    }

    /// <summary>Waits for events into <paramref name="events"/>; the count ready, 0 when interrupted by a signal.</summary>
    public static int Wait(int epoll, byte[] events, int timeoutMs)
    {
        var ready = EpollWait(epoll, events, events.Length / EventSize, timeoutMs);
        if (ready >= 0)
            return ready;
        var errno = Marshal.GetLastPInvokeError();
        return errno == Interrupted ? 0 : throw new IOException($"epoll_wait failed (errno {errno})");
    }

    public static uint EventsAt(byte[] events, int i) => BinaryPrimitives.ReadUInt32LittleEndian(events.AsSpan(i * EventSize));

    public static ulong DataAt(byte[] events, int i) => MemoryMarshal.Read<ulong>(events.AsSpan(i * EventSize + s_dataOffset));

    // Only read by write(2): shared by every thread that signals.
    private static readonly byte[] s_one = BitConverter.GetBytes(1UL);

    public static void Signal(int eventFd) => _ = Write(eventFd, s_one, s_one.Length);

    public static void Drain(int eventFd, byte[] scratch) => _ = Read(eventFd, scratch, 8);

    public static void Close(int fd) => _ = CloseFd(fd);

    private static void Control(int epoll, int op, int fd, uint events, ulong data)
    {
        var ev = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(ev, events);
        MemoryMarshal.Write(ev.AsSpan(s_dataOffset), in data);
        if (EpollCtl(epoll, op, fd, ev) != 0)
            throw new IOException($"epoll_ctl failed (errno {Marshal.GetLastPInvokeError()})");
    }

    [DllImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCreate1(int flags);

    [DllImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCtl(int epoll, int op, int fd, byte[] ev);

    [DllImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollWait(int epoll, [Out] byte[] events, int maxEvents, int timeoutMs);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Read(int fd, [Out] byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Write(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int CloseFd(int fd);
}
