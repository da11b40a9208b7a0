//! Every weigrid contract, generated from `proto/` at build time.
//!
//! One module per package (`proto::registry::v1` is `weigrid.registry.v1`),
//! and [`FILE_DESCRIPTOR_SET`] for gRPC server reflection. Nothing generated
//! is committed.

/// The encoded `FileDescriptorSet` of every weigrid package, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("weigrid_descriptor");

/// Ticket dispatch (`weigrid.dispatch.v1`).
pub mod dispatch {
    /// Version 1 of the dispatch API and its events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.dispatch.v1");
    }
}

/// The grid registry (`weigrid.registry.v1`).
pub mod registry {
    /// Version 1 of the registry API and its events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.registry.v1");
    }
}

/// Villagers' points (`weigrid.points.v1`).
pub mod points {
    /// Version 1 of the points API and its events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.points.v1");
    }
}

/// Video ingest (`weigrid.video.v1`).
pub mod video {
    /// Version 1 of the video API and its events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.video.v1");
    }
}

/// Case exchange between neighbouring towns (`weigrid.exchange.v1`).
pub mod exchange {
    /// Version 1 of the exchange's local API, its peer contract and its
    /// events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.exchange.v1");
    }
}

/// Case review (`weigrid.review.v1`).
pub mod review {
    /// Version 1 of the review API and its events.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("weigrid.review.v1");
    }
}
