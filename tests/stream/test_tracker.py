from facerec.models.faces import Box
from facerec.stream.tracker import MAX_MISSED, Tracker


def moved(box: Box, dx: float, dy: float = 0.0, grow: float = 0.0) -> Box:
    return Box(box.x1 + dx - grow, box.y1 + dy - grow, box.x2 + dx + grow, box.y2 + dy + grow)


def test_a_face_moving_and_growing_keeps_its_track() -> None:
    tracker = Tracker()
    box = Box(100, 100, 180, 180)
    first = tracker.update([box])
    ids = set()
    for _ in range(30):
        box = moved(box, dx=12, dy=3, grow=1.5)  # 15% of its width per frame
        update = tracker.update([box])
        ids.add(update.assigned[0].id)
        assert not update.started
        assert not update.ended
    assert ids == {first.started[0].id}


def test_fast_motion_is_followed_through_the_predicted_box() -> None:
    """Moving 60% of its width per frame, the face overlaps its last box too little; the prediction
    from its velocity still finds it."""
    tracker = Tracker()
    box = Box(0, 200, 60, 260)
    tracker.update([box])
    for _ in range(2):
        box = moved(box, dx=20)
        tracker.update([box])
    for _ in range(5):
        box = moved(box, dx=36)
        update = tracker.update([box])
        assert not update.started, box


def test_two_faces_crossing_paths_keep_their_tracks() -> None:
    tracker = Tracker()
    left, right = Box(100, 100, 160, 160), Box(400, 300, 460, 360)
    started = tracker.update([left, right]).started
    for step in range(12):
        left, right = moved(left, dx=20, dy=15), moved(right, dx=-20, dy=-15)
        update = tracker.update([right, left] if step % 2 else [left, right])
        by_box = {track.box: track.id for track in update.assigned}
        assert by_box == {left: started[0].id, right: started[1].id}


def test_a_track_survives_missed_detections_then_ends() -> None:
    tracker = Tracker()
    box = Box(100, 100, 180, 180)
    [track] = tracker.update([box]).started
    for _ in range(MAX_MISSED):
        assert not tracker.update([]).ended
    assert tracker.update([box]).assigned == [track]
    for _ in range(MAX_MISSED):
        tracker.update([])
    assert tracker.update([]).ended == [track]
    assert tracker.tracks == []


def test_a_new_face_elsewhere_starts_a_new_track() -> None:
    tracker = Tracker()
    [first] = tracker.update([Box(0, 0, 50, 50)]).started
    update = tracker.update([Box(0, 0, 50, 50), Box(300, 300, 350, 350)])
    assert update.assigned[0] is first
    assert update.started == [update.assigned[1]]
    assert update.assigned[1].id != first.id
    assert tracker.tracks == [first, update.assigned[1]]
