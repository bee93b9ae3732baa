import Synchronization

/// What other threads may know of the open write transaction: its deadline,
/// whether a call of its owner is in progress, and the writer gate's pass.
/// The pager keeps the lease of a transaction with a deadline (`activeWriter`),
/// so a `beginWrite` that finds it expired can take it over.
///
/// `activity` counts the owner's calls in progress (>= 0); `end()` sets it to
/// `ended` (-2) when the owner commits or rolls back, `revoke()` to `revoked`
/// (-1) when another thread takes over from a transaction past its deadline.
/// Revoking succeeds only from 0 (no call in progress), so the owner never has
/// pages or the WAL changed under it. Exactly one of the two succeeds first,
/// and that one takes the pass (`takePass`): the owner to leave the gate, the
/// thread that revoked to write in its place.
final class WriteLease: Sendable {
  /// Monotonic seconds after which the transaction has timed out; nil: never.
  let deadline: Double?
  /// The transaction's number (its base's change counter + 1), for the log.
  let transaction: UInt64
  let activity = Atomic<Int>(0)
  static let revoked = -1
  static let ended = -2
  /// The gate's pass while the transaction holds it; nil for a transaction run
  /// by a caller that keeps its own pass (`endSessionHoldingGate`), or once taken.
  private let pass: Mutex<Pager.Pass?>

  init(deadline: Double?, transaction: UInt64, pass: consuming Pager.Pass?) {
    self.deadline = deadline
    self.transaction = transaction
    self.pass = Mutex(pass)
  }

  /// Whether the deadline has passed.
  var isPastDeadline: Bool {
    guard let deadline else { return false }
    return monotonicSeconds() > deadline
  }

  /// Whether another writer took over after a timeout.
  var isRevoked: Bool { activity.load(ordering: .acquiring) == Self.revoked }

  /// Marks the transaction ended by its owner; false when it was revoked first.
  func end() -> Bool {
    var current = activity.load(ordering: .acquiring)
    while true {
      if current == Self.revoked { return false }
      if current == Self.ended { return true }
      let (exchanged, original) = activity.compareExchange(
        expected: current, desired: Self.ended, ordering: .acquiringAndReleasing)
      if exchanged { return true }
      current = original
    }
  }

  /// Takes the transaction away from its owner when no call of it is in
  /// progress (see the type's comment). Call under the pager's lock.
  func revoke() -> Bool {
    activity.compareExchange(expected: 0, desired: Self.revoked, ordering: .acquiringAndReleasing).exchanged
  }

  /// The gate's pass, once: for the one whose `end()` or `revoke()` succeeded.
  func takePass() -> Pager.Pass? {
    pass.withLock { $0.take() }
  }
}
