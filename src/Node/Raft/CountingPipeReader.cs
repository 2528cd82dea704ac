using System.IO.Pipelines;

namespace RaftKV.Node.Raft;

/// <summary>Passes a pipe reader through and counts the bytes its consumer advances past (snapshot size).</summary>
internal sealed class CountingPipeReader(PipeReader inner) : PipeReader
{
    private long _consumedBefore;
    private ReadResult _last;

    public long BytesRead { get; private set; }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        BytesRead = _consumedBefore + _last.Buffer.Slice(0, consumed).Length;
        _consumedBefore = BytesRead;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _last = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        return _last;
    }

    public override bool TryRead(out ReadResult result)
    {
        var read = inner.TryRead(out result);
        if (read)
            _last = result;
        return read;
    }
}
