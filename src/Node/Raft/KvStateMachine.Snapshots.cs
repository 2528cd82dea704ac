using System.Diagnostics;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>Snapshots of <see cref="KvStateMachine"/>: written without stopping applies, installed, restored, reclaimed.</summary>
internal sealed partial class KvStateMachine
{
    // A snapshot file is fsync'd every this many bytes. Left to the kernel, hundreds of MB of its pages wait in the page
    // cache, and an fsync of the write-ahead log (one per commit) then waits for them: ext4 writes out the data of
    // blocks allocated in a transaction before committing it. Client writes stalled 0.3-0.5 s at 1 GB (issue 6); a
    // writer's 1 GB beside small appends with fdatasync gave a longest append of 0.5 s unsynced, 7-40 ms synced every 2-8 MB.
    private const long SyncEveryBytes = 4 << 20;

    // A slice aims at about this many bytes (and at most the configured number of keys): the apply lock is held while
    // a slice is encoded, and 2,048 keys of 1 KB values held it for up to 20-55 ms on a loaded two-core machine.
    private const long SliceBytes = 256 << 10;

    // On the applier, right after applying `index`: the snapshot holds exactly the entries up to it.
    private void TryBeginSnapshot(long index, long term)
    {
        // A snapshot or a backup is being written: try again after the next entry (the request stays pending).
        if (_lifetime.IsCancellationRequested || !_snapshotSlot.Wait(0))
            return;

        Volatile.Write(ref _snapshotRequested, 0);
        _lastSnapshotStart = index;
        _bytesSinceSnapshot = 0;
        var snapshot = Begin(index, term);
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        Interlocked.Exchange(ref _writingCancel, cancel)?.Dispose();

        // A thread of its own: the writer is busy for seconds, and on a two-core machine a thread-pool thread taken for
        // that long starves the pool that serves clients and applies until it grows (hundreds of ms).
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            WriteAndPublish(snapshot, cancel.Token);
            done.SetResult();
        })
        {
            IsBackground = true,
            Name = "RaftKV snapshot writer",
        };
        Volatile.Write(ref _writing, done.Task);
        thread.Start();
    }

    /// <summary>
    /// On the applier, once it has applied everything committed: a requested snapshot begins at the applied index
    /// without waiting for another entry to be applied (a follower gets none until the leader writes again). Does nothing
    /// when no snapshot is requested, nothing was applied since the last one began, or a script is suspended.
    /// </summary>
    internal void SnapshotIfRequested()
    {
        if (Volatile.Read(ref _snapshotRequested) == 1 && Volatile.Read(ref _suspension) is null && AppliedIndex > _lastSnapshotStart)
            TryBeginSnapshot(AppliedIndex, Volatile.Read(ref _appliedTerm));
    }

    /// <summary>
    /// Before a graceful stop (SIGTERM, SHUTDOWN, a host stop): snapshots the applied state when the entries applied since
    /// the last snapshot hold at least <see cref="StopSnapshotMinBytes"/> and a tenth of that snapshot's size, so the
    /// restart loads it instead of applying them again (3 s of a whole-cluster restart's unavailability for 16k entries
    /// of SETs on the 2-core machine). A smaller tail is cheaper to apply again than a state is to write. Waits for a
    /// snapshot being written first, then asks the applier (<paramref name="wakeApplier"/>) for one at the applied index.
    /// Returns the index of the snapshot written, or null when none was due or none could begin within 2 s (a suspended
    /// script, a backup being written) or it failed. <paramref name="token"/> bounds the wait; a snapshot cut by the
    /// process's end is abandoned as any other (the log still holds its entries).
    /// </summary>
    internal async Task<long?> SnapshotBeforeStopAsync(Action wakeApplier, CancellationToken token)
    {
        if (!StopSnapshotDue())
            return null;

        // A snapshot being written may cover the tail already.
        var before = Volatile.Read(ref _writing);
        await before.WaitAsync(token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        token.ThrowIfCancellationRequested();
        if (!StopSnapshotDue())
            return null;
        var written = SnapshotsWritten;
        RequestSnapshot();

        // The applier begins it at once, unless a script is suspended or a backup holds the writer: then the stop goes
        // on without it rather than waiting for either. Woken at each look (a backup may end meanwhile).
        using (var begin = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            begin.CancelAfter(StopSnapshotBeginWait);
            try
            {
                while (ReferenceEquals(Volatile.Read(ref _writing), before))
                {
                    wakeApplier();
                    await Task.Delay(10, begin.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                return null;
            }
        }

        await Volatile.Read(ref _writing).WaitAsync(token).ConfigureAwait(false);
        return SnapshotsWritten > written ? Volatile.Read(ref _snapshot)?.Index : null;
    }

    private static readonly TimeSpan StopSnapshotBeginWait = TimeSpan.FromSeconds(2);

    private bool StopSnapshotDue()
    {
        var tail = Volatile.Read(ref _bytesSinceSnapshot);
        var last = Volatile.Read(ref _snapshot) is { } file && file.File.Exists ? file.File.Length : 0;
        return tail >= StopSnapshotMinBytes && tail * 10 >= last;
    }

    /// <summary>The least tail of applied entries (bytes) worth a snapshot at a graceful stop.</summary>
    internal const long StopSnapshotMinBytes = 64 << 10;

    private IncrementalSnapshot Begin(long index, long term)
    {
        _lock.EnterWriteLock();
        try
        {
            return _store.BeginSnapshot(index, term);
        }
        finally
        {
            ExitWriteLock();
        }
    }

    private void WriteAndPublish(IncrementalSnapshot snapshot, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var gc = new GcWatch();
        var target = new FileInfo(Path.Combine(_location.FullName, SnapshotFile.NameOf(snapshot.Index, snapshot.Term)));
        var temporary = Path.Combine(_location.FullName, $"snapshot.{snapshot.Index}.tmp");
        try
        {
            long bytes;
            double longestSlice;
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                longestSlice = WriteSlices(snapshot, file, token, gc);
                file.Flush(flushToDisk: true);
                bytes = file.Length;
            }

            if (!TryPublish(new SnapshotFile(target, snapshot.Index, snapshot.Term, _offers), temporary))
            {
                File.Delete(temporary);
                return;
            }

            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Interlocked.Exchange(ref _lastSnapshotMilliseconds, elapsed);
            Interlocked.Exchange(ref _lastSnapshotBytes, bytes);
            Interlocked.Exchange(ref _lastSnapshotPreImages, snapshot.PreImagesSaved);
            Interlocked.Exchange(ref _lastSnapshotLongestSliceMicros, (long)(longestSlice * 1000));
            Volatile.Write(ref _lastSnapshotGc, gc.Stop());
            Interlocked.Increment(ref _snapshotsWritten);
            LogSnapshotWritten(snapshot.Index, snapshot.Term, bytes, elapsed, snapshot.PreImagesSaved);
        }
        catch (Exception e)
        {
            Abandon(snapshot);
            File.Delete(temporary);
            if (e is OperationCanceledException)
                LogSnapshotCancelled(snapshot.Index);
            else
                LogSnapshotFailed(snapshot.Index, e);
        }
        finally
        {
            _snapshotSlot.Release();
        }
    }

    // Each slice under the read lock (applies wait for at most one), its bytes written out after releasing it; the next
    // slice's keys scaled to the bytes per key seen so far, towards SliceBytes; a file (snapshot or backup) synced every
    // SyncEveryBytes.
    private double WriteSlices(IncrementalSnapshot snapshot, Stream output, CancellationToken token, GcWatch? gc = null)
    {
        bool complete;
        var longest = 0.0;
        var synced = 0L;
        // The first slice takes a few keys to learn their size: 2,048 keys of large values would hold the lock for megabytes.
        var target = Math.Min(_sliceKeys, 64);
        do
        {
            token.ThrowIfCancellationRequested();
            _lock.EnterReadLock();
            var started = Stopwatch.GetTimestamp();
            var produced = snapshot.BytesProduced;
            try
            {
                complete = snapshot.Advance(target);
            }
            finally
            {
                _lock.ExitReadLock();
            }

            var held = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (held > longest)
                longest = held;

            var bytes = snapshot.BytesProduced - produced;
            if (bytes > 0)
                target = (int)Math.Clamp(target * SliceBytes / bytes, 1, _sliceKeys);
            snapshot.Drain(output);
            if (output is FileStream file && file.Position - synced >= SyncEveryBytes)
            {
                file.Flush(flushToDisk: true);
                synced = file.Position;
            }

            gc?.Sample();
            if (!complete)
                BetweenSlices?.Invoke();
        }
        while (!complete);
        return longest;
    }

    private void Abandon(IncrementalSnapshot snapshot)
    {
        _lock.EnterWriteLock();
        try
        {
            snapshot.Abandon();
        }
        finally
        {
            ExitWriteLock();
        }
    }

    // Publishes a written snapshot unless a newer one (installed from the leader meanwhile) is already published.
    private bool TryPublish(SnapshotFile candidate, string temporary)
    {
        lock (_publishGate)
        {
            if (Volatile.Read(ref _snapshot) is { } current && current.Index >= candidate.Index)
                return false;
            DurableFiles.Publish(temporary, candidate.File.FullName);
            candidate.File.Refresh();
            Volatile.Write(ref _snapshot, candidate);
            return true;
        }
    }

    /// <summary>
    /// Writes the committed state as a snapshot (RAFTKV.BACKUP). Applies go on meanwhile (copy-on-write); waits while
    /// another snapshot is being written. Returns the index and term the state reflects.
    /// </summary>
    public (long Index, long Term) WriteSnapshot(Stream output)
    {
        _snapshotSlot.Wait();
        try
        {
            IncrementalSnapshot snapshot;
            _lock.EnterWriteLock();
            try
            {
                // A suspended script's state reflects no single index (see KvStateMachine.Scripts.cs).
                if (_suspension is not null)
                    throw new InvalidOperationException("BUSY a script is running; retry the backup once it has ended");
                snapshot = _store.BeginSnapshot(AppliedIndex, Volatile.Read(ref _appliedTerm));
            }
            finally
            {
                ExitWriteLock();
            }

            try
            {
                WriteSlices(snapshot, output, _lifetime.Token);
            }
            catch
            {
                Abandon(snapshot);
                throw;
            }

            return (snapshot.Index, snapshot.Term);
        }
        finally
        {
            _snapshotSlot.Release();
        }
    }

    /// <summary>
    /// A lagging follower receives the leader's snapshot at <paramref name="index"/>, <paramref name="term"/>
    /// (<see cref="Log.RaftLog"/>'s install): the file itself, or a manifest for a large one that is downloaded first (SnapshotDownloader). The file
    /// is written and verified before anything changes: a damaged transfer leaves this node as it was, and the leader
    /// sends it again. Durable (the file published) when this returns.
    /// </summary>
    internal async ValueTask<long> InstallAsync<TSource>(TSource source, long index, long term, CancellationToken token)
        where TSource : IDataTransferObject
    {
        // A snapshot of the state being replaced is useless now; a backup of it may finish (it reads the old store).
        if (Volatile.Read(ref _writingCancel) is { } cancel)
            await cancel.CancelAsync().ConfigureAwait(false);

        var target = new FileInfo(Path.Combine(_location.FullName, SnapshotFile.NameOf(index, term)));
        var (temporary, contents) = await ReceiveAsync(source, index, term, token).ConfigureAwait(false);
        try
        {
            if (BeforeInstall is { } hook)
                await hook().ConfigureAwait(false);

            if (contents.Index != index || contents.Term != term)
            {
                throw new InvalidDataException(
                    $"The snapshot received for index {index}, term {term} holds index {contents.Index}, term {contents.Term}");
            }

            _lock.EnterWriteLock();
            try
            {
                DropSuspension();
                Volatile.Write(ref _store, contents.Store);
                Volatile.Write(ref _storeNow, _store.Now);
                Volatile.Write(ref _appliedIndex, index);
                Volatile.Write(ref _appliedTerm, term);

                // The whole keyspace was replaced: every key a client caches may have changed.
                if (KeyChanges is { IsListening: true } sink)
                {
                    sink.Changed([], flushed: true, byClient: false);
                    sink.EntryApplied();
                }

                Watch?.Changed((index + 1) * KeyValueStore.RevisionsPerEntry - 1, [], flushed: true, _watchView, _watchBefore);
            }
            finally
            {
                ExitWriteLock();
            }

            lock (_publishGate)
            {
                DurableFiles.Publish(temporary, target.FullName);
                target.Refresh();
                Volatile.Write(ref _snapshot, new SnapshotFile(target, index, term, _offers));
            }
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        _lastSnapshotStart = index;
        _bytesSinceSnapshot = 0;
        Interlocked.Increment(ref _restoreCount);
        LogSnapshotRestored(index, term, target.FullName);
        return index;
    }

    // The snapshot's file (fsync'd, under a temporary name) and its verified contents. A manifest whose download is
    // not complete yet fails this InstallSnapshot with SnapshotTransferPendingException; the leader asks again.
    private async ValueTask<(string Temporary, SnapshotContents Contents)> ReceiveAsync<TSource>(TSource source, long index, long term, CancellationToken token)
        where TSource : IDataTransferObject
    {
        var temporary = Path.Combine(_location.FullName, $"install.{index}.tmp");
        SnapshotManifest? manifest = null;
        try
        {
            var file = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await source.WriteToAsync(file, 1 << 16, token).ConfigureAwait(false);

                // The transfer's last read may complete on a socket event thread: the fsync and the load are long.
                await Execution.SocketThreads.Leave();
                await file.FlushAsync(token).ConfigureAwait(false);
                if (file.Length <= SnapshotManifest.MaxSize)
                {
                    var bytes = new byte[file.Length];
                    file.Position = 0;
                    await file.ReadExactlyAsync(bytes, token).ConfigureAwait(false);
                    if (SnapshotManifest.HasMagic(bytes))
                        manifest = SnapshotManifest.Decode(bytes);
                }

                if (manifest is null)
                    file.Flush(flushToDisk: true);
            }

            if (manifest is null)
                return (temporary, Load(temporary));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        File.Delete(temporary);
        if (manifest.Index != index || manifest.Term != term)
        {
            throw new InvalidDataException(
                $"The snapshot manifest for index {index}, term {term} describes index {manifest.Index}, term {manifest.Term}");
        }

        return _downloader.TakeOrStart(manifest, out var progress) is { } staged
            ? (staged.Path, staged.Contents)
            : throw new SnapshotTransferPendingException(manifest, progress);
    }

    /// <summary>
    /// Loads the newest valid snapshot file, if any; call it before building the write-ahead log, which replays the log
    /// from the snapshot's index. Invalid files above it are quarantined (<see cref="SnapshotFiles"/>), leftovers of
    /// interrupted snapshot writes deleted. Each file is read once: the read that verifies it is the one that loads it.
    /// </summary>
    public ValueTask RestoreAsync(CancellationToken token = default)
    {
        foreach (var leftover in _location.EnumerateFiles("*.tmp", SearchOption.TopDirectoryOnly))
            leftover.Delete();

        foreach (var latest in SnapshotFile.List(_location))
        {
            token.ThrowIfCancellationRequested();
            SnapshotContents contents;
            try
            {
                contents = Load(latest.File.FullName);
            }
            catch (SnapshotFormatException e)
            {
                SnapshotFiles.Quarantine(latest.File, e.Message, _logger);
                continue;
            }

            _lock.EnterWriteLock();
            try
            {
                DropSuspension();
                Volatile.Write(ref _store, contents.Store);
                Volatile.Write(ref _storeNow, _store.Now);
            }
            finally
            {
                ExitWriteLock();
            }

            Volatile.Write(ref _appliedIndex, contents.Index);
            Volatile.Write(ref _appliedTerm, contents.Term);
            Volatile.Write(ref _snapshot, latest.OfferedBy(_offers));
            _lastSnapshotStart = latest.Index;
            _bytesSinceSnapshot = 0;
            Interlocked.Increment(ref _restoreCount);
            LogSnapshotRestored(contents.Index, contents.Term, latest.File.FullName);
            break;
        }

        _restored = true;
        return ValueTask.CompletedTask;
    }

    internal static SnapshotContents Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return SnapshotReader.Read(stream);
    }

    ValueTask ISnapshotManager.ReclaimGarbageAsync(long watermark, CancellationToken token)
    {
        var current = Volatile.Read(ref _snapshot);
        foreach (var old in SnapshotFile.List(_location))
        {
            if (old.Index < watermark && (current is null || old.File.Name != current.File.Name))
                old.File.Delete();
        }

        return ValueTask.CompletedTask;
    }
}
