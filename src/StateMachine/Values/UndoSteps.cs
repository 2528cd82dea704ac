namespace RaftKV.StateMachine.Values;

/// <summary>
/// The undo steps of one collection (<see cref="UndoTrail"/>), newest last; <paramref name="undo"/> applies one step to a
/// copy of the collection. Once the steps outnumber the collection's elements (<paramref name="size"/>, and at least
/// <see cref="MinSteps"/>), or the collection is about to make a change it records no step for (<see cref="Collapse"/>:
/// an O(n) change such as LINSERT or LREM), the collection as it was is built at once and recording stops, so memory
/// stays within one copy, as when the journal copied it first.
/// </summary>
internal sealed class UndoSteps<TValue, TStep>(TValue value, Action<TValue, TStep> undo, Func<TValue, int> size, Action<TValue> release)
    : UndoTrail
    where TValue : StoredValue
{
    private const int MinSteps = 64;

    private List<TStep>? _steps = [];
    private StoredValue? _before;

    /// <summary>Records the inverse of a change the collection has just made.</summary>
    public void Record(TStep step)
    {
        if (_steps is null)
        {
            return;
        }

        _steps.Add(step);
        if (_steps.Count > MinSteps && _steps.Count > size(value))
        {
            Collapse();
        }
    }

    /// <summary>Builds the collection as it was now and stops recording (call before a change that records no step).</summary>
    public void Collapse()
    {
        if (_steps is null)
        {
            return;
        }

        _before = Replay(_steps);
        _steps = null;
        release(value);
    }

    public override StoredValue Restore() => _before ?? Replay(_steps!);

    public override void Close()
    {
        if (_steps is not null)
        {
            release(value);
        }

        _steps = null;
        _before = null;
    }

    private TValue Replay(List<TStep> steps)
    {
        // The copy records nothing: a value records only while a journal tracks it (StoredValue.TrackChanges).
        var copy = (TValue)value.Clone();
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            undo(copy, steps[i]);
        }

        return copy;
    }
}
