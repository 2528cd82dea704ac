using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RaftKV.RespCeiling;

/// <summary>
/// Redis's shape in C#: one thread, one epoll set, non-blocking sockets read and written with plain system calls
/// (P/Invoke into libc), every ready connection's requests answered and written back in the same pass. No thread
/// pool, no .NET socket engine, no pipes: the ceiling for RESP served from .NET on this machine.
/// </summary>
internal static unsafe partial class EpollServer
{
    private const int EpollIn = 0x001;
    private const int EpollCtlAdd = 1;
    private const int EAgain = 11;
    private const int SockNonBlock = 0x800;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, nint addr, nint addrlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, int* value, int length);

    private sealed class Connection(int fd)
    {
        public readonly int Fd = fd;
        public byte[] Input = new byte[64 * 1024];
        public int Held;
        public readonly ReplyBuffer Replies = new();
    }

    public static void Run(int port, KeyValues values)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(512);
        listener.Blocking = false;
        var listenFd = (int)listener.Handle;
        var epoll = epoll_create1(0);
        Add(epoll, listenFd);
        var connections = new Dictionary<int, Connection>();
        var events = new EpollEvent[256];
        while (true)
        {
            int ready;
            fixed (EpollEvent* e = events)
                ready = epoll_wait(epoll, e, events.Length, -1);
            for (var i = 0; i < ready; i++)
            {
                var fd = (int)events[i].Data;
                if (fd == listenFd)
                {
                    int accepted;
                    while ((accepted = accept4(listenFd, 0, 0, SockNonBlock)) >= 0)
                    {
                        var one = 1;
                        setsockopt(accepted, 6 /* IPPROTO_TCP */, 1 /* TCP_NODELAY */, &one, sizeof(int));
                        connections[accepted] = new Connection(accepted);
                        Add(epoll, accepted);
                    }

                    continue;
                }

                if (connections.TryGetValue(fd, out var connection) && !Serve(connection, values))
                {
                    close(fd);
                    connections.Remove(fd);
                }
            }
        }
    }

    private static void Add(int epoll, int fd)
    {
        var ev = new EpollEvent { Events = EpollIn, Data = (ulong)fd };
        if (epoll_ctl(epoll, EpollCtlAdd, fd, &ev) != 0)
            throw new InvalidOperationException($"epoll_ctl: errno {Marshal.GetLastPInvokeError()}");
    }

    // Reads what is there (one read: the set is level-triggered), answers it and writes the replies; false when the
    // peer is gone.
    private static bool Serve(Connection connection, KeyValues values)
    {
        if (connection.Held == connection.Input.Length)
            Array.Resize(ref connection.Input, connection.Input.Length * 2);
        nint got;
        fixed (byte* buffer = &connection.Input[connection.Held])
            got = read(connection.Fd, buffer, connection.Input.Length - connection.Held);
        if (got == 0)
            return false;
        if (got < 0)
            return Marshal.GetLastPInvokeError() == EAgain;
        connection.Held += (int)got;
        var consumed = Resp.Process(connection.Input.AsSpan(0, connection.Held), values, connection.Replies);
        connection.Input.AsSpan(consumed, connection.Held - consumed).CopyTo(connection.Input);
        connection.Held -= consumed;
        while (connection.Replies.Length > 0)
        {
            nint sent;
            fixed (byte* buffer = connection.Replies.Written)
                sent = write(connection.Fd, buffer, connection.Replies.Length);
            if (sent < 0)
            {
                // A full send buffer: a benchmark client reads its replies; wait for it here (a sketch, not a server).
                if (Marshal.GetLastPInvokeError() != EAgain)
                    return false;
                Thread.Yield();
                continue;
            }

            connection.Replies.Consume((int)sent);
        }

        return true;
    }
}
