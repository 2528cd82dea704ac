using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RaftKV.Node.Log;

/// <summary>
/// fdatasync of a file: its data and the metadata needed to read it back (size), not its timestamps. Linux only;
/// elsewhere <see cref="RandomAccess.FlushToDisk"/>.
/// </summary>
internal static class DataSync
{
    public static void Flush(SafeFileHandle handle)
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
