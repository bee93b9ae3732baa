/// Everything about a pager that its threads share and that changes: it lives
/// in `Pager.lock` (a `Mutex<PagerState>`), so it is read and written only
/// under that lock. The invariants are `Pager`'s (numbered in `Pager.swift`).
///
/// Helpers that read it and run on every page access are `@inline(__always)`:
/// a call would copy the whole struct to pass it.
///
/// What only the writer gate's holder touches is not here but in
/// `WriterState`; what never changes after the open is in `Pager` itself.
struct PagerState {
  /// The page cache; its slots' bytes are read outside the lock only while
  /// pinned (`PageCache` invariant 3).
  var cache: PageCache
  /// The WAL file: set by the open, and by a read-only handle's refresh when
  /// the WAL appears.
  var walFile: (any StorageFile)?
  var walHeader: WALHeader?
  var walHeaderOnDisk = false
  var framePages: [PageNumber] = []
  var frameTransactions: [UInt64] = []
  var index = FrameIndex()
  var committedFrames = 0
  var runningChecksum: UInt32 = 0
  var generation: UInt64 = 0
  var header: DatabaseHeader
  var readerMarks: [Int: Int] = [:]
  /// Set by the first failed write or sync; every call then throws (invariant 4).
  var poison: SombraError?
  var closed = false
  /// The newest transaction (change counter) a sync of the WAL has covered.
  var syncedThrough: UInt64 = 0
  /// Who kept the last checkpoint from resetting the WAL (nil once one did).
  var checkpointBlocker: String?
  /// What `WALDamage` found at the open or a read-only refresh, if anything.
  var walDamage: WALDamage?
  /// What new read snapshots see while later commits wait for their sync
  /// (nil: the latest commit).
  var durableView: (frames: Int, header: DatabaseHeader)?
  /// Where this read-write handle holds its durable mark (frames of the
  /// current generation a sync has covered), nil before the open places it
  /// (`Pager+DurableMark.swift`).
  var durableMark: Int?
  /// How long the last group-commit sync took.
  var lastSyncNanoseconds: UInt64 = 0
  /// Read transactions of a read-only handle holding `LockRange.readers`.
  var fileReadLocks = 0
  var report = OpenReport()
  var counters = PagerCounters()
  /// Latency distributions (nanoseconds), recorded when `options.metricsEnabled`.
  var commitLatency = LatencyHistogram()
  var readLatency = LatencyHistogram()
  /// Of `counters.corruptionErrors`, how many a commit has added to the header's
  /// lifetime count.
  var corruptionPersisted: UInt64 = 0
  /// Monotonic time of the last checkpoint that left the WAL empty (or of the
  /// open), for `autoCheckpointInterval`.
  var lastCheckpointAt = monotonicSeconds()
  /// When the WAL-cannot-keep-up warning was last logged (monotonic seconds).
  var lastWALWarningAt: Double = -.infinity
  /// The open write transaction's lease, while one with a deadline is open
  /// (for `transactionTimeout`).
  var activeWriter: WriteLease?

  init(cache: PageCache, header: DatabaseHeader) {
    self.cache = cache
    self.header = header
  }

  /// The newest frame of `page` below `mark`.
  @inline(__always)
  func frame(of page: PageNumber, below mark: Int) -> UInt32? {
    index.frame(of: page, below: mark)
  }

  /// Whether WAL frame `frame` of this generation is a delta frame.
  @inline(__always)
  func isDeltaFrame(_ frame: UInt32) -> Bool {
    Int(frame) < framePages.count && framePages[Int(frame)] == WALFormat.deltaFrameMarker
  }

  /// Where the version of `page` at frame `newest` (nil: the main file's) comes
  /// from: the image it starts from and the delta frames written over it.
  func source(of page: PageNumber, at newest: UInt32?) -> PageSource {
    guard let newest, isDeltaFrame(newest), let frames = index[page] else { return PageSource(base: newest) }
    return PageSource.of(newest: newest, among: frames, isDelta: isDeltaFrame)
  }

  /// Number of delta frames since the last image of `page` in this generation,
  /// counted up to `limit`.
  func deltaChainLength(of page: PageNumber, limit: Int) -> Int {
    guard let frames = index[page] else { return 0 }
    var n = 0
    for f in frames.reversed() {
      guard isDeltaFrame(f), n < limit else { break }
      n += 1
    }
    return n
  }

  /// Installs a scan's committed frames.
  mutating func adopt(_ scan: WALScan, replacing: Bool) {
    if replacing {
      cache.removeAll()
      index.removeAll()
      framePages.removeAll()
      frameTransactions.removeAll()
      committedFrames = 0
      generation += 1
      walHeader = scan.header
    }
    for frame in scan.committed {
      for page in frame.pages { index.append(UInt32(committedFrames), of: page) }
      framePages.append(frame.page)
      frameTransactions.append(frame.transaction)
      committedFrames += 1
    }
    if scan.header != nil { runningChecksum = scan.checksum }
  }
}

/// What only the holder of the writer gate touches (`Pager.gate`): reached
/// through the gate's `Pass`, so no other thread can.
struct WriterState: ~Copyable {
  /// The writer's frame buffer (see `commitBuffer`).
  var frameBuffer: UnsafeMutableRawBufferPointer?
  /// Zeros for growing the WAL (see `growWAL`).
  var zeroBuffer: UnsafeMutableRawBufferPointer?
  /// The WAL file's size as this handle last left it (nil: ask the file).
  var walAllocated: UInt64?
  /// Where the last committed transactions inserted into each leaf (the
  /// B-tree's hint for ascending runs, `PageWriter.noteLeafInsert`), carried
  /// from one write transaction to the next.
  var leafInsertHints: [PageNumber: Int] = [:]

  deinit {
    frameBuffer?.deallocate()
    zeroBuffer?.deallocate()
  }
}
