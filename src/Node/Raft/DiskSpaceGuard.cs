using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Raft;

/// <summary>
/// Keeps the node from running its data disk full. DotNext's write-ahead log writes through memory-mapped files, and
/// a full disk there kills the process with SIGBUS instead of failing the write. So writes are refused early, with a
/// MISCONF error, while less than <see cref="NodeOptions.MinFreeDiskBytes"/> is free; reads keep working, and writes
/// resume by themselves once space returns. Free space is sampled at most every 200 ms.
/// </summary>
internal sealed class DiskSpaceGuard(IOptions<NodeOptions> options, TimeProvider clock)
{
    private readonly NodeOptions _options = options.Value;
    private readonly string _path = Path.GetFullPath(options.Value.DataDirectory);
    private long _sampledAt = long.MinValue;
    private long _free = long.MaxValue;

    public long MinFreeBytes => _options.MinFreeDiskBytes;

    /// <summary>Free bytes on the data directory's filesystem, as last sampled.</summary>
    public long FreeBytes
    {
        get
        {
            var now = clock.GetTimestamp();
            if (clock.GetElapsedTime(Interlocked.Read(ref _sampledAt), now) > TimeSpan.FromMilliseconds(200) || _sampledAt == long.MinValue)
            {
                Interlocked.Exchange(ref _free, Measure());
                Interlocked.Exchange(ref _sampledAt, now);
            }

            return Interlocked.Read(ref _free);
        }
    }

    public bool IsLow => FreeBytes < _options.MinFreeDiskBytes;

    public string Message =>
        $"MISCONF The disk holding RaftKV's data directory is nearly full ({FreeBytes} bytes free, at least {_options.MinFreeDiskBytes} needed): writes are refused until space is freed, reads still work";

    private long Measure()
    {
        try
        {
            Directory.CreateDirectory(_path);
            return new DriveInfo(_path).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }
}
