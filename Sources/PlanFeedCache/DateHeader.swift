import Foundation
public import HTTPTypes
public import ICal
import Synchronization

/// The Date header's value (IMF-fixdate), formatted once a second.
public enum DateHeader {
    private static let cache = Mutex<(second: Int, text: String)>((0, ""))

    public static func text(_ second: Int) -> String {
        cache.withLock { c in
            if c.second != second {
                c = (second, HTTPDate.format(UTCDateTime(secondsSinceEpoch: second)))
            }
            return c.text
        }
    }
}
