using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RaftKV.Node.Log;

/// <summary>
/// fdatasync of a file: its data and the metadata needed to read it back (size), not its timestamps. Linux only;
/// elsewhere <see cref="RandomAccess.FlushToDisk"/>. Each flush's duration is recorded on the process-wide meter
/// <see cref="MeterName"/> (instrument <see cref="FlushInstrument"/>), which the metrics endpoint exports as
/// <c>raftkv_log_fsync_duration_seconds</c>, as it does DotNext's log flushes.
/// </summary>
internal static class DataSync
{
    public const string MeterName = "RaftKV.Log";
    public const string FlushInstrument = "fdatasync-duration";

    private static readonly Meter LogMeter = new(MeterName);
    private static readonly Histogram<double> FlushSeconds = LogMeter.CreateHistogram<double>(FlushInstrument, "s", "One fdatasync of a log segment");

    /// <param name="recorded">False: not counted in the log's fsync histogram (a sync off the appends' path).</param>
    public static void Flush(SafeFileHandle handle, bool recorded = true)
    {
        if (!recorded)
        {
            FlushFile(handle);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            FlushFile(handle);
        }
        finally
        {
            FlushSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static void FlushFile(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Fdatasync((int)handle.DangerousGetHandle()) != 0)
                throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fdatasync(int descriptor);
}
