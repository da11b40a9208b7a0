//! The in-memory spatial index that answers "which micro-grid is this
//! point in?" without touching the database: every grid with its boundary,
//! and an R-tree over the micro-grids' bounding boxes. A snapshot is
//! immutable; a change builds a new one and swaps it in, so readers never
//! wait. Replicas keep theirs fresh from the registry's own grid events.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use geo::{BoundingRect, Point, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::geometry::{self, Shape};
use super::grid::{Grid, Placed};
use super::ids::GridId;
use super::kinds::Level;

/// A grid as the index holds it.
#[derive(Debug, Clone)]
pub struct GridNode {
    pub id: GridId,
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_id: Option<GridId>,
    pub boundary: Polygon,
    pub version: i64,
}

impl GridNode {
    /// Returns the grid as the placement rules see it.
    pub fn placed(&self) -> Placed<'_> {
        Placed {
            id: self.id,
            code: &self.code,
            level: self.level,
            boundary: &self.boundary,
        }
    }
}

impl From<&Grid> for GridNode {
    fn from(grid: &Grid) -> Self {
        Self {
            id: grid.id,
            code: grid.code.clone(),
            name: grid.name.clone(),
            level: grid.level,
            parent_id: grid.parent_id,
            boundary: grid.boundary.clone(),
            version: grid.version,
        }
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, GridId>;

/// Where a point falls.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Inside (or on the border of) `micro`; `also_on_border` lists the
    /// other micro-grids whose border the point is on.
    Inside {
        micro: Arc<GridNode>,
        also_on_border: Vec<Arc<GridNode>>,
    },
    /// Outside every micro-grid; the nearest one and its distance in metres.
    Outside {
        nearest: Option<(Arc<GridNode>, f64)>,
    },
}

/// One immutable state of the index.
#[derive(Default)]
pub struct Snapshot {
    nodes: HashMap<GridId, Arc<GridNode>>,
    by_code: HashMap<String, GridId>,
    micro_tree: RTree<Entry>,
}

/// How many nearest bounding boxes are measured exactly when a point is
/// outside every grid: bounding-box order is only a first guess at distance.
const NEAREST_CANDIDATES: usize = 8;

impl Snapshot {
    /// Builds a snapshot of `nodes`.
    pub fn build(nodes: impl IntoIterator<Item = GridNode>) -> Self {
        let nodes: HashMap<GridId, Arc<GridNode>> =
            nodes.into_iter().map(|n| (n.id, Arc::new(n))).collect();
        Self::from_nodes(nodes)
    }

    fn from_nodes(nodes: HashMap<GridId, Arc<GridNode>>) -> Self {
        let by_code = nodes.values().map(|n| (n.code.clone(), n.id)).collect();
        let entries = nodes
            .values()
            .filter(|n| n.level == Level::Micro)
            .filter_map(|n| entry(n))
            .collect();
        Self {
            nodes,
            by_code,
            micro_tree: RTree::bulk_load(entries),
        }
    }

    /// Returns the number of grids held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns whether the index holds no grid.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Returns the grid with `id`.
    pub fn get(&self, id: &GridId) -> Option<&Arc<GridNode>> {
        self.nodes.get(id)
    }

    /// Returns the grid with `code`.
    pub fn by_code(&self, code: &str) -> Option<&Arc<GridNode>> {
        self.by_code.get(code).and_then(|id| self.nodes.get(id))
    }

    /// Returns every micro-grid.
    pub fn micro_grids(&self) -> impl Iterator<Item = &Arc<GridNode>> {
        self.nodes.values().filter(|n| n.level == Level::Micro)
    }

    /// Returns the ancestors of `id`, from the top down, without the grid itself.
    pub fn ancestors(&self, id: &GridId) -> Vec<Arc<GridNode>> {
        let mut chain = Vec::new();
        let mut next = self.nodes.get(id).and_then(|n| n.parent_id);
        while let Some(parent_id) = next {
            let Some(parent) = self.nodes.get(&parent_id) else {
                break;
            };
            chain.push(parent.clone());
            next = parent.parent_id;
            if chain.len() > 16 {
                break; // a cycle cannot be written, but a bound costs nothing
            }
        }
        chain.reverse();
        chain
    }

    /// Returns whether grid `id` is the grid coded `scope` or lies below it.
    pub fn is_within(&self, id: &GridId, scope: &str) -> bool {
        self.nodes.get(id).is_some_and(|n| n.code == scope)
            || self.ancestors(id).iter().any(|a| a.code == scope)
    }

    /// Returns the ids of every grid below `id`.
    pub fn descendants(&self, id: &GridId) -> Vec<GridId> {
        let mut children: HashMap<GridId, Vec<GridId>> = HashMap::new();
        for node in self.nodes.values() {
            if let Some(parent) = node.parent_id {
                children.entry(parent).or_default().push(node.id);
            }
        }
        let mut found = Vec::new();
        let mut next = vec![*id];
        while let Some(current) = next.pop() {
            for child in children.get(&current).into_iter().flatten() {
                found.push(*child);
                next.push(*child);
            }
        }
        found
    }

    /// Finds the micro-grid holding `point` (longitude x, latitude y).
    pub fn resolve(&self, point: Point) -> Resolution {
        let mut covering: Vec<Arc<GridNode>> = self
            .micro_tree
            .locate_all_at_point(&[point.x(), point.y()])
            .filter_map(|entry| self.nodes.get(&entry.data))
            .filter(|node| geometry::covers(&node.boundary, &point))
            .cloned()
            .collect();
        if covering.is_empty() {
            return Resolution::Outside {
                nearest: self.nearest(point),
            };
        }
        covering.sort_by(|a, b| a.code.cmp(&b.code));
        let micro = covering.remove(0);
        Resolution::Inside {
            micro,
            also_on_border: covering,
        }
    }

    /// Returns the micro-grid holding `shape`'s anchor, if any.
    pub fn micro_grid_holding(&self, shape: &Shape) -> Option<Arc<GridNode>> {
        self.micro_grid_at(shape.anchor())
    }

    /// Returns the micro-grid holding `anchor`, if any.
    pub fn micro_grid_at(&self, anchor: Point) -> Option<Arc<GridNode>> {
        match self.resolve(anchor) {
            Resolution::Inside { micro, .. } => Some(micro),
            Resolution::Outside { .. } => None,
        }
    }

    /// Returns the micro-grids at or below grid `id`.
    pub fn micro_grids_under(&self, id: &GridId) -> Vec<GridId> {
        std::iter::once(*id)
            .chain(self.descendants(id))
            .filter(|id| self.get(id).is_some_and(|n| n.level == Level::Micro))
            .collect()
    }

    fn nearest(&self, point: Point) -> Option<(Arc<GridNode>, f64)> {
        self.micro_tree
            .nearest_neighbor_iter(&[point.x(), point.y()])
            .take(NEAREST_CANDIDATES)
            .filter_map(|entry| self.nodes.get(&entry.data))
            .map(|node| (node.clone(), geometry::distance_m(&node.boundary, &point)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

fn entry(node: &GridNode) -> Option<Entry> {
    let rect = node.boundary.bounding_rect()?;
    Some(GeomWithData::new(
        Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]),
        node.id,
    ))
}

/// The index shared by the API and the event listener.
#[derive(Default)]
pub struct SpatialIndex {
    current: RwLock<Arc<Snapshot>>,
}

impl SpatialIndex {
    /// Returns the current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .expect("index lock is never poisoned")
            .clone()
    }

    /// Replaces the whole index.
    pub fn replace(&self, snapshot: Snapshot) {
        *self.current.write().expect("index lock is never poisoned") = Arc::new(snapshot);
    }

    /// Merges every grid of `snapshot`, keeping the newer version of each
    /// (a snapshot read a moment ago may be older than an event since).
    pub fn merge(&self, snapshot: Snapshot) {
        self.apply(snapshot.nodes.into_values().map(Arc::unwrap_or_clone));
    }

    /// Adds or replaces grids, keeping the newer version of each.
    pub fn apply(&self, nodes: impl IntoIterator<Item = GridNode>) {
        let mut current = self.current.write().expect("index lock is never poisoned");
        let mut all: HashMap<GridId, Arc<GridNode>> = current.nodes.clone();
        let mut changed = false;
        for node in nodes {
            if all
                .get(&node.id)
                .is_none_or(|held| held.version < node.version)
            {
                all.insert(node.id, Arc::new(node));
                changed = true;
            }
        }
        if changed {
            *current = Arc::new(Snapshot::from_nodes(all));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(
        code: &str,
        level: Level,
        parent: Option<GridId>,
        x0: f64,
        x1: f64,
        version: i64,
    ) -> GridNode {
        let rings = vec![vec![
            (x0, 30.0),
            (x1, 30.0),
            (x1, 30.01),
            (x0, 30.01),
            (x0, 30.0),
        ]];
        GridNode {
            id: GridId::generate(),
            code: code.into(),
            name: code.into(),
            level,
            parent_id: parent,
            boundary: geometry::polygon("b", &rings).unwrap(),
            version,
        }
    }

    #[test]
    fn a_point_resolves_to_its_micro_grid_with_ancestors() {
        let area = node("A", Level::Area, None, 121.0, 121.02, 1);
        let left = node("A-M01", Level::Micro, Some(area.id), 121.0, 121.01, 1);
        let right = node("A-M02", Level::Micro, Some(area.id), 121.01, 121.02, 1);
        let (left_id, area_id) = (left.id, area.id);
        let snapshot = Snapshot::build([area, left, right]);

        let Resolution::Inside {
            micro,
            also_on_border,
        } = snapshot.resolve(Point::new(121.005, 30.005))
        else {
            panic!("inside");
        };
        assert_eq!(micro.id, left_id);
        assert!(also_on_border.is_empty());
        assert_eq!(
            snapshot
                .ancestors(&left_id)
                .iter()
                .map(|a| a.id)
                .collect::<Vec<_>>(),
            [area_id]
        );
    }

    #[test]
    fn a_point_on_a_shared_border_resolves_to_the_first_by_code_and_names_the_other() {
        let left = node("M01", Level::Micro, None, 121.0, 121.01, 1);
        let right = node("M02", Level::Micro, None, 121.01, 121.02, 1);
        let snapshot = Snapshot::build([right, left]);
        let Resolution::Inside {
            micro,
            also_on_border,
        } = snapshot.resolve(Point::new(121.01, 30.005))
        else {
            panic!("on the border is inside");
        };
        assert_eq!(micro.code, "M01");
        assert_eq!(
            also_on_border
                .iter()
                .map(|n| n.code.as_str())
                .collect::<Vec<_>>(),
            ["M02"]
        );
    }

    #[test]
    fn a_point_outside_names_the_nearest_grid_and_distance() {
        let snapshot = Snapshot::build([
            node("M01", Level::Micro, None, 121.0, 121.01, 1),
            node("M02", Level::Micro, None, 121.05, 121.06, 1),
        ]);
        let Resolution::Outside {
            nearest: Some((grid, metres)),
        } = snapshot.resolve(Point::new(121.045, 30.005))
        else {
            panic!("outside");
        };
        assert_eq!(grid.code, "M02");
        assert!((400.0..600.0).contains(&metres), "{metres}");
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one() {
        let index = SpatialIndex::default();
        let mut grid = node("M01", Level::Micro, None, 121.0, 121.01, 2);
        index.replace(Snapshot::build([grid.clone()]));
        grid.version = 1;
        grid.name = "stale".into();
        index.apply([grid]);
        assert_eq!(index.snapshot().by_code("M01").unwrap().name, "M01");
    }
}
